//! Operations and integrations: `/healthz`, `/metrics`, `/sitemap.xml`, `/feed.xml` (Atom),
//! `/opensearch.xml`, `/robots.txt`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::highlight::escape_html as xml;
use crate::state::AppState;

/// `GET /healthz`: 200 with a small JSON status while the server can answer.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let library = state.library();
    Json(serde_json::json!({
        "status": "ok",
        "articles": library.articles.len(),
        "fixes": library.fixes.len(),
        "revision": library.revision,
        "content_errors": library.diagnostics.iter().filter(|d| d.is_error()).count(),
    }))
}

/// `GET /sitemap.xml`.
pub async fn sitemap(State(state): State<AppState>) -> impl IntoResponse {
    let library = state.library();
    let base = state.config.base_url();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    out.push_str(&format!("  <url><loc>{}/</loc></url>\n", xml(&base)));
    for a in &library.articles {
        out.push_str(&format!("  <url><loc>{}/kb/{}</loc>", xml(&base), xml(&a.slug)));
        if let Some(d) = a.reviewed.or(a.published) {
            out.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], out)
}

/// `GET /feed.xml`: the 20 most recently reviewed articles as Atom.
pub async fn feed(State(state): State<AppState>) -> impl IntoResponse {
    let library = state.library();
    let base = state.config.base_url();
    let recent = library.recently_reviewed(20);
    let updated = recent
        .first()
        .and_then(|a| a.reviewed.or(a.published))
        .map_or_else(|| "1970-01-01".to_owned(), |d| d.to_string());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>fixkb</title>\n  <id>{b}/</id>\n  <link href=\"{b}/\"/>\n  <link rel=\"self\" href=\"{b}/feed.xml\"/>\n  <updated>{updated}T00:00:00Z</updated>\n",
        b = xml(&base)
    );
    for a in recent {
        let url = format!("{base}/kb/{}", a.slug);
        let updated = a
            .reviewed
            .or(a.published)
            .map_or_else(|| "1970-01-01".to_owned(), |d| d.to_string());
        out.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{u}</id>\n    <link href=\"{u}\"/>\n    <updated>{updated}T00:00:00Z</updated>\n",
            xml(&a.title),
            u = xml(&url)
        ));
        if let Some(p) = a.published {
            out.push_str(&format!("    <published>{p}T00:00:00Z</published>\n"));
        }
        out.push_str(&format!(
            "    <summary>{}</summary>\n  </entry>\n",
            xml(&a.summary)
        ));
    }
    out.push_str("</feed>\n");
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        out,
    )
}

/// `GET /opensearch.xml`: lets browsers add the knowledge base as a search engine.
pub async fn opensearch(State(state): State<AppState>) -> impl IntoResponse {
    let base = xml(&state.config.base_url());
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n  <ShortName>fixkb</ShortName>\n  <Description>Search the troubleshooting knowledge base</Description>\n  <InputEncoding>UTF-8</InputEncoding>\n  <Image type=\"image/svg+xml\">{base}/favicon.ico</Image>\n  <Url type=\"text/html\" method=\"get\" template=\"{base}/search?q={{searchTerms}}\"/>\n  <Url type=\"application/x-suggestions+json\" method=\"get\" template=\"{base}/api/suggest?q={{searchTerms}}&amp;format=opensearch\"/>\n</OpenSearchDescription>\n"
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/opensearchdescription+xml; charset=utf-8",
        )],
        body,
    )
}

/// `GET /robots.txt`.
pub async fn robots(State(state): State<AppState>) -> impl IntoResponse {
    let base = state.config.base_url();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("User-agent: *\nDisallow: /admin/\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"),
    )
}

/// `GET /metrics`: Prometheus text exposition of content and store counters.
pub async fn metrics(State(state): State<AppState>) -> crate::http::AppResult<impl IntoResponse> {
    let library = state.library();
    let stats = state.store.stats().await?;
    let errors = library.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = library.diagnostics.len() - errors;
    let (cache_hits, cache_misses) = state.search.cache_counts();
    let (scored_words, scored_bytes) = state.search.word_cache_usage();
    let gauges: [(&str, &str, u64); 11] = [
        (
            "fixkb_articles",
            "Articles being served.",
            library.articles.len() as u64,
        ),
        ("fixkb_fixes", "Fixes being served.", library.fixes.len() as u64),
        (
            "fixkb_content_errors",
            "Content errors in the last load.",
            errors as u64,
        ),
        (
            "fixkb_content_warnings",
            "Content warnings in the last load.",
            warnings as u64,
        ),
        (
            "fixkb_article_feedback",
            "Article votes stored.",
            stats.article_feedback,
        ),
        (
            "fixkb_receipt_feedback",
            "Script outcome reports stored.",
            stats.receipt_feedback,
        ),
        ("fixkb_receipts", "Distinct receipts stored.", stats.receipts),
        ("fixkb_search_log_rows", "Search log rows kept.", stats.searches),
        (
            "fixkb_dropped_events",
            "Analytics events dropped because the queue was full.",
            stats.dropped_events,
        ),
        (
            "fixkb_word_cache_entries",
            "Words kept scored for later searches (one per word and index segment).",
            scored_words as u64,
        ),
        (
            "fixkb_word_cache_bytes",
            "Estimated memory of the words kept scored.",
            scored_bytes,
        ),
    ];
    let counters: [(&str, &str, u64); 2] = [
        (
            "fixkb_search_cache_hits_total",
            "Searches answered from the cache of recent answers.",
            cache_hits,
        ),
        (
            "fixkb_search_cache_misses_total",
            "Searches run against the index.",
            cache_misses,
        ),
    ];
    let mut out = String::new();
    for (name, help, value) in gauges {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    for (name, help, value) in counters {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        ));
    }
    out.push_str(&format!(
        "# HELP fixkb_content_info The content revision being served.\n# TYPE fixkb_content_info gauge\nfixkb_content_info{{revision=\"{}\"}} 1\n",
        library.revision
    ));
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    ))
}
