//! A deterministic generator of realistic knowledge-base articles, for the relevance set and
//! the benchmarks.
//!
//! Article `i` depends only on `i`: YAML front matter (id, title, summary, products, tags,
//! symptoms), `##` sections of prose drawn from a Zipf-like vocabulary with a long tail,
//! PowerShell code with cmdlets and registry paths, error codes and event IDs. Articles come in
//! families of [`FAMILY`] near-duplicates (same component and problem, different product and
//! codes), and every [`HUB_EVERY`]th article is a hub page listing other articles' summaries.

use std::fmt::Write as _;
use std::path::Path;

/// Near-duplicates per family.
pub const FAMILY: usize = 4;
/// One hub page per this many articles.
pub const HUB_EVERY: usize = 250;
/// KB numbers of generated articles start here.
pub const FIRST_ID: u32 = 100_000;

const COMPONENTS: &[(&str, &str, &str)] = &[
    // (component, service/registry name, area tag)
    ("Print Spooler", "Spooler", "printing"),
    ("DNS Client", "Dnscache", "networking"),
    ("Background Intelligent Transfer Service", "BITS", "updates"),
    ("Windows Update Agent", "wuauserv", "updates"),
    ("WSUS server", "WsusService", "updates"),
    ("IIS application pool", "W3SVC", "web"),
    ("Cluster service", "ClusSvc", "clustering"),
    ("DHCP Server", "DHCPServer", "networking"),
    ("Group Policy client", "gpsvc", "group-policy"),
    ("Windows Time service", "W32Time", "time"),
    ("Remote Desktop Gateway", "TSGateway", "remote-desktop"),
    ("SMB client", "LanmanWorkstation", "file-sharing"),
    ("Server service", "LanmanServer", "file-sharing"),
    ("Netlogon", "Netlogon", "active-directory"),
    ("Volume Shadow Copy", "VSS", "backup"),
    ("Task Scheduler", "Schedule", "automation"),
    ("WinRM listener", "WinRM", "remote-management"),
    ("Hyper-V Replica", "vmms", "hyper-v"),
    ("Storage Spaces", "spaceport", "storage"),
    ("BitLocker", "BDESVC", "security"),
    ("Certificate Services", "CertSvc", "pki"),
    ("Exchange Transport", "MSExchangeTransport", "exchange"),
    ("SQL Server Agent", "SQLSERVERAGENT", "sql-server"),
    ("SharePoint Timer", "SPTimerV4", "sharepoint"),
    ("Windows Firewall", "MpsSvc", "firewall"),
    ("Remote Procedure Call locator", "RpcLocator", "rpc"),
    ("Distributed File System Replication", "DFSR", "replication"),
    ("Active Directory Web Services", "ADWS", "active-directory"),
    ("Windows Search", "WSearch", "search-indexing"),
    ("Failover Cluster virtual IP", "ClusNet", "clustering"),
    ("iSCSI initiator", "MSiSCSI", "storage"),
    ("NIC teaming", "NdisImPlatform", "networking"),
    ("Event Log", "EventLog", "diagnostics"),
    ("Performance counters", "PerfHost", "diagnostics"),
    ("Windows Installer", "msiserver", "installers"),
    ("App-V client", "AppVClient", "app-virtualization"),
    ("Credential Manager", "VaultSvc", "security"),
    ("Kerberos authentication", "Kdc", "active-directory"),
    ("Offline Files", "CscService", "file-sharing"),
    ("Work Folders", "WorkFolderssvc", "file-sharing"),
];

const PROBLEMS: &[&str] = &[
    "stops responding",
    "fails to start",
    "crashes with an access violation",
    "leaks memory",
    "uses 100% CPU",
    "cannot connect to the server",
    "times out",
    "logs repeated warnings",
    "hangs during shutdown",
    "returns access denied",
    "reports corrupted data",
    "loses its configuration",
    "runs very slowly",
    "rejects valid credentials",
    "fails to replicate",
    "drops connections",
    "fills the disk with log files",
    "cannot find the domain controller",
    "shows a blank console",
    "restarts unexpectedly",
];

const TRIGGERS: &[&str] = &[
    "after installing a cumulative update",
    "after a network driver update",
    "when the system drive is almost full",
    "after a domain controller restart",
    "under heavy load",
    "after changing the service account password",
    "after an in-place upgrade",
    "when IPv6 is disabled",
    "after restoring from backup",
    "when antivirus scanning is enabled",
    "after joining the domain",
    "on a server core installation",
    "after a time zone change",
    "when TLS 1.0 is turned off",
    "after migrating to new hardware",
    "when the page file is moved",
];

const PRODUCTS: &[&str] = &[
    "Windows Server 2008 R2",
    "Windows Server 2012",
    "Windows Server 2012 R2",
    "Windows Server 2016",
    "Windows Server 2019",
    "Windows Server 2022",
    "Windows 10",
    "Windows 11",
    "Exchange Server 2013",
    "Exchange Server 2016",
    "SQL Server 2014",
    "SQL Server 2019",
    "SharePoint Server 2013",
    "SharePoint Server 2016",
    "System Center 2012",
    "Azure Stack HCI",
];

const VERBS: &[&str] = &[
    "Get", "Set", "Restart", "Reset", "Repair", "Enable", "Disable", "Clear", "Test", "Update",
];

/// Common words first: sampled with a Zipf-like skew, then a generated long tail.
const WORDS: &[&str] = &[
    "server",
    "service",
    "the",
    "network",
    "update",
    "error",
    "user",
    "client",
    "connection",
    "configuration",
    "setting",
    "registry",
    "value",
    "restart",
    "driver",
    "log",
    "event",
    "account",
    "domain",
    "policy",
    "disk",
    "memory",
    "process",
    "request",
    "response",
    "timeout",
    "certificate",
    "file",
    "folder",
    "share",
    "permission",
    "adapter",
    "cluster",
    "node",
    "replica",
    "backup",
    "restore",
    "database",
    "query",
    "index",
    "cache",
    "session",
    "protocol",
    "port",
    "firewall",
    "rule",
    "traffic",
    "packet",
    "latency",
    "throughput",
    "handle",
    "thread",
    "queue",
    "job",
    "schedule",
    "script",
    "module",
    "command",
    "parameter",
    "output",
    "warning",
    "failure",
    "retry",
    "threshold",
    "limit",
    "quota",
    "volume",
    "partition",
    "snapshot",
    "checkpoint",
    "host",
    "guest",
    "virtual",
    "machine",
    "role",
    "feature",
    "component",
    "installer",
    "package",
    "version",
    "build",
    "patch",
    "hotfix",
    "rollback",
    "upgrade",
    "migration",
    "hardware",
    "firmware",
    "bios",
    "boot",
    "startup",
    "shutdown",
    "credential",
    "token",
    "ticket",
    "authentication",
    "authorization",
    "encryption",
    "key",
    "store",
    "trust",
    "replication",
    "site",
    "link",
    "route",
    "gateway",
    "proxy",
    "address",
    "name",
    "resolution",
    "lookup",
    "record",
    "zone",
    "interval",
    "counter",
    "monitor",
    "alert",
    "report",
    "console",
    "snap-in",
    "wizard",
    "dialog",
    "option",
    "default",
    "administrator",
    "operator",
    "workload",
    "capacity",
    "performance",
    "stability",
    "symptom",
    "cause",
    "workaround",
    "resolution",
    "occurs",
    "appears",
    "fails",
    "stops",
    "starts",
    "returns",
    "reports",
    "shows",
    "remains",
    "becomes",
    "causes",
    "prevents",
    "requires",
    "allows",
    "changes",
    "applies",
    "contains",
    "intermittently",
    "repeatedly",
    "eventually",
    "immediately",
    "silently",
    "unexpectedly",
    "correctly",
    "manually",
    "automatically",
    "temporarily",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "when",
    "after",
    "before",
    "while",
    "because",
    "but",
    "and",
    "or",
    "not",
    "only",
    "also",
    "then",
    "this",
    "that",
    "these",
    "each",
    "every",
    "some",
    "many",
    "new",
    "old",
    "large",
    "small",
    "slow",
    "busy",
    "idle",
    "local",
    "remote",
    "primary",
    "secondary",
    "shared",
    "dedicated",
    "stale",
    "missing",
    "duplicate",
    "invalid",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mer", "tan", "vi", "sol", "dra", "qui", "pen", "zor", "fel", "ba", "rin", "tu", "gal", "xe",
    "mo", "ster", "nid", "cor",
];

/// SplitMix64: a tiny, fast, well-mixed deterministic generator.
struct Rng(u64);

impl Rng {
    fn new(a: u64, b: u64) -> Self {
        let mut r = Rng(a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x2545_F491_4F6C_DD1D));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Zipf-like rank: small ranks far more often than large ones.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let r = ((n as f64 + 1.0).powf(u) - 1.0).floor();
        (r as usize).min(n - 1)
    }
}

/// What article `i` is about; everything else is filler around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Position in the corpus.
    pub index: usize,
    /// KB number.
    pub id: u32,
    /// The affected component.
    pub component: &'static str,
    /// Its service or registry name.
    pub service: &'static str,
    /// Area tag.
    pub area: &'static str,
    /// What goes wrong.
    pub problem: &'static str,
    /// When.
    pub trigger: &'static str,
    /// The product of this variant.
    pub product: &'static str,
    /// A second product it also applies to.
    pub also: &'static str,
    /// The error code (`0x8007…`).
    pub error: String,
    /// The event ID.
    pub event_id: u32,
    /// The cmdlet of the fix.
    pub cmdlet: String,
    /// Whether this is a hub page.
    pub hub: bool,
}

impl Spec {
    /// The article's title.
    pub fn title(&self) -> String {
        if self.hub {
            return format!(
                "{} articles, part {}",
                capitalize(self.area),
                self.index / HUB_EVERY + 1
            );
        }
        format!(
            "{} {} {} on {}",
            self.component, self.problem, self.trigger, self.product
        )
    }

    /// The article's path in the content folder.
    pub fn path(&self) -> String {
        format!("kb/{:06}-{}.md", self.index, slugify(&self.title()))
    }

    /// The article's slug.
    pub fn slug(&self) -> String {
        crate::content::slug_from_path(&self.path())
    }
}

/// The spec of article `i`.
pub fn spec(i: usize) -> Spec {
    let family = i / FAMILY;
    let variant = i % FAMILY;
    let mut fam = Rng::new(family as u64, 1);
    let (component, service, area) = COMPONENTS[fam.below(COMPONENTS.len())];
    let problem = fam.pick(PROBLEMS);
    let trigger = fam.pick(TRIGGERS);
    let base_product = fam.below(PRODUCTS.len());
    let mut own = Rng::new(i as u64, 2);
    let product = PRODUCTS[(base_product + variant * 5) % PRODUCTS.len()];
    let also = PRODUCTS[(base_product + variant * 5 + 1) % PRODUCTS.len()];
    let noun: String = service.chars().filter(|c| c.is_alphanumeric()).collect();
    Spec {
        index: i,
        id: FIRST_ID + u32::try_from(i).unwrap_or(u32::MAX - FIRST_ID),
        component,
        service,
        area,
        problem,
        trigger,
        product,
        also,
        error: format!("0x{:08X}", 0x8007_0000u64 | (own.next() & 0xFFFF)),
        event_id: 1000 + u32::try_from(own.next() % 9000).unwrap_or(0),
        cmdlet: format!(
            "{}-{}{}",
            VERBS[fam.below(VERBS.len())],
            noun,
            ["Config", "State", "Cache", "Binding"][variant]
        ),
        hub: i % HUB_EVERY == HUB_EVERY - 1,
    }
}

/// `(path, markdown)` of article `i`.
pub fn article(i: usize) -> (String, String) {
    let s = spec(i);
    let mut rng = Rng::new(i as u64, 3);
    let mut md = String::with_capacity(4096);
    let title = s.title();
    let summary = if s.hub {
        format!("An index of {} articles with their summaries.", s.area)
    } else {
        format!(
            "The {} {} {}; the fix resets the {} settings and clears error {}.",
            s.component, s.problem, s.trigger, s.service, s.error
        )
    };
    let _ = writeln!(
        md,
        "---\nid: {}\ntitle: \"{}\"\nsummary: \"{}\"",
        s.id, title, summary
    );
    if s.hub {
        let _ = writeln!(md, "tags: [{}, index]\n---\n", s.area);
        let _ = writeln!(
            md,
            "# {title}\n\nArticles about {} problems, newest first.\n",
            s.area
        );
        let start = i.saturating_sub(HUB_EVERY - 1);
        for j in (start..i).step_by(HUB_EVERY / 40) {
            let o = spec(j);
            let file = o.path();
            let name = file.rsplit('/').next().unwrap_or(&file);
            let _ = writeln!(
                md,
                "- [{}]({name}): the {} {} {}, with error {} and event ID {}.",
                o.title(),
                o.component,
                o.problem,
                o.trigger,
                o.error,
                o.event_id
            );
        }
        return (s.path(), md);
    }
    let _ = writeln!(
        md,
        "products: [{}, {}]\ntags: [{}, {}]\nsymptoms:\n  - \"{} {}\"\n  - \"Error {} is logged {}\"\n  - \"Event ID {} appears in the System log\"\npublished: 20{:02}-{:02}-{:02}\n---\n",
        s.product,
        s.also,
        s.area,
        ["troubleshooting", "performance", "configuration", "known-issue"][rng.below(4)],
        s.component,
        s.problem,
        s.error,
        s.trigger,
        s.event_id,
        10 + rng.below(16),
        1 + rng.below(12),
        1 + rng.below(28),
    );
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(md, "{}\n", prose(&mut rng, 3));
    let _ = writeln!(md, "## Symptoms\n");
    let _ = writeln!(
        md,
        "On {} the {} ({} service) {} {}. The System log shows event ID {} with error code {}. {}\n",
        s.product,
        s.component,
        s.service,
        s.problem,
        s.trigger,
        s.event_id,
        s.error,
        prose(&mut rng, 2)
    );
    let _ = writeln!(md, "- {}\n- {}\n", prose(&mut rng, 1), prose(&mut rng, 1));
    let _ = writeln!(
        md,
        "## Cause\n\n{}\n\n{}\n",
        prose(&mut rng, 4),
        prose(&mut rng, 3)
    );
    let _ = writeln!(
        md,
        "## Resolution\n\n{} Run the following as an administrator:\n",
        prose(&mut rng, 2)
    );
    let _ = writeln!(
        md,
        "```powershell\n{} -Name {} -Force\nSet-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\{}\\Parameters' -Name {} -Value {}\nRestart-Service {}\n```\n",
        s.cmdlet,
        s.service,
        s.service,
        ["MaxRetries", "TimeoutSeconds", "EnableLogging", "CacheSize"][rng.below(4)],
        rng.below(100),
        s.service
    );
    let _ = writeln!(
        md,
        "If the command fails with `{}`, {}\n",
        s.error,
        prose(&mut rng, 1)
    );
    let more = 3 + rng.below(6);
    let _ = writeln!(md, "## More information\n\n{}\n", prose(&mut rng, more));
    (s.path(), md)
}

/// `(path, markdown)` of a page of a foreign documentation folder (Microsoft Learn style):
/// `description` for the summary, `ms.date`, keys fixkb does not know, nested folders, no id,
/// the title only as `# H1` every other page.
pub fn foreign_article(i: usize) -> (String, String) {
    let s = spec(i);
    let mut rng = Rng::new(i as u64, 4);
    let mut md = String::with_capacity(2048);
    let title = format!("Troubleshoot {} that {}", s.component, s.problem);
    let _ = writeln!(md, "---");
    if i.is_multiple_of(2) {
        let _ = writeln!(md, "title: \"{title}\"");
    }
    let _ = writeln!(
        md,
        "description: \"Describes how to fix the {} when it {} {}.\"\nms.date: {:02}/{:02}/20{}\nms.topic: troubleshooting\nauthor: writer{}\nms.reviewer: [a, b]\nms.custom: sap:{}, csstroubleshoot\n---\n",
        s.component,
        s.problem,
        s.trigger,
        1 + rng.below(12),
        1 + rng.below(28),
        18 + rng.below(7),
        rng.below(50),
        s.area
    );
    let _ = writeln!(md, "# {title}\n\n_Applies to:_ {}\n", s.product);
    let _ = writeln!(
        md,
        "## Symptoms\n\nThe {} {} {}. {}\n",
        s.component,
        s.problem,
        s.trigger,
        prose(&mut rng, 2)
    );
    let _ = writeln!(
        md,
        "## Resolution\n\n1. {}\n2. Run `{}`.\n3. {}\n",
        prose(&mut rng, 1),
        s.cmdlet,
        prose(&mut rng, 1)
    );
    let _ = writeln!(
        md,
        "> [!NOTE]\n> {}\n\nSee [related](../{}/index.md).\n",
        prose(&mut rng, 1),
        s.area
    );
    (format!("docs/{}/{}-{i}.md", s.area, slugify(s.component)), md)
}

/// Writes articles `0..n` under `root`.
pub fn write(root: &Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(root.join("kb"))?;
    for i in 0..n {
        let (path, md) = article(i);
        std::fs::write(root.join(path), md)?;
    }
    Ok(())
}

/// `sentences` sentences of filler prose.
fn prose(rng: &mut Rng, sentences: usize) -> String {
    let mut out = String::new();
    for s in 0..sentences {
        if s > 0 {
            out.push(' ');
        }
        let len = 8 + rng.below(14);
        for w in 0..len {
            let word = word(rng);
            if w == 0 {
                out.push_str(&capitalize(&word));
            } else {
                out.push(' ');
                out.push_str(&word);
            }
        }
        out.push('.');
    }
    out
}

/// A word: mostly common ones, with a long tail of generated rare words (real corpora have
/// tens of thousands of distinct terms).
fn word(rng: &mut Rng) -> String {
    let rank = rng.zipf(WORDS.len() + 30_000);
    if let Some(w) = WORDS.get(rank) {
        return (*w).to_owned();
    }
    let mut n = rank;
    let mut out = String::new();
    while n > 0 || out.len() < 4 {
        out.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    out.chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(article(12_345), article(12_345));
        assert_ne!(article(1).1, article(2).1);
    }

    #[test]
    fn families_share_component_but_not_codes() {
        let (a, b) = (spec(8), spec(9));
        assert_eq!((a.component, a.problem), (b.component, b.problem));
        assert_ne!(a.error, b.error);
        assert_ne!(a.product, b.product);
    }

    #[test]
    fn generated_articles_load() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), HUB_EVERY).unwrap();
        let lib = crate::content::Library::load(dir.path(), None);
        assert_eq!(lib.articles.len(), HUB_EVERY);
        assert!(!lib.has_errors(), "{:?}", lib.diagnostics);
        let hub = lib.article(&spec(HUB_EVERY - 1).slug()).unwrap();
        assert!(hub.body.html().unwrap().matches("href=\"/kb/").count() >= 6);
    }
}
