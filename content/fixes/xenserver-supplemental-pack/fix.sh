if [ "$(id -u)" -ne 0 ]; then
    echo 'Run this script as root in the XenServer control domain.' >&2
    exit 1
fi
if ! command -v xe-install-supplemental-pack >/dev/null 2>&1; then
    echo 'xe-install-supplemental-pack not found: is this a XenServer host?' >&2
    exit 1
fi
if [ ! -f "$iso_path" ] || [ ! -r "$iso_path" ]; then
    printf 'Cannot read the ISO: %s\n' "$iso_path" >&2
    exit 1
fi
if [ -n "$sha256" ]; then
    printf '%s  %s\n' "$sha256" "$iso_path" | sha256sum -c -
fi
xe-install-supplemental-pack "$iso_path"
echo 'Supplemental pack installed. Reboot the host if the pack asks for it.'
