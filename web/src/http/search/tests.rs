//! The search handlers: parameters, links, and searches handed to the search threads.

use super::*;

#[test]
fn params_read_repeated_filters_and_ignore_junk() {
    let p = Params::parse(Some(
        "q=vm+lost&product=Hyper-V&product=Windows%20Server&tag=x&page=zz&limit=-1",
    ));
    assert_eq!(p.q, "vm lost");
    assert_eq!(p.products, ["Hyper-V", "Windows Server"]);
    assert_eq!(p.tags, ["x"]);
    assert_eq!(p.page, 1);
    assert_eq!(p.limit, None);
    assert_eq!(Params::parse(Some("%zz=%")).q, "");
}

#[test]
fn the_pager_stops_at_the_deepest_page_a_request_reaches() {
    assert_eq!(reachable_pages(0, 10), 1);
    assert_eq!(reachable_pages(9_693, 10), 970);
    assert_eq!(reachable_pages(10_010, 10), 1_001);
    // Page 1,001 starts at hit 10,000, the deepest; 50,000 hits do not make 5,000 pages.
    assert_eq!(reachable_pages(50_000, 10), 1_001);
    assert_eq!(reachable_pages(50_000, 100), 101);
    let last = Params::parse(Some("q=x&page=1001")).request();
    assert_eq!(last.offset, MAX_OFFSET);
    let beyond = Params::parse(Some("q=x&page=5000")).request();
    assert_eq!(beyond.offset, MAX_OFFSET, "clamped to the same page");
}

#[test]
fn urls_round_trip_and_toggle_filters() {
    let p = Params::parse(Some("q=a%26b&product=X%20Y&page=3"));
    assert_eq!(p.url(3), "/search?q=a%26b&product=X%20Y&page=3");
    assert_eq!(p.toggled(true, "X Y").url(1), "/search?q=a%26b");
    assert_eq!(
        p.toggled(false, "t").url(1),
        "/search?q=a%26b&product=X%20Y&tag=t"
    );
}

/// A state serving one article about the spooler (and the folder it is in).
fn spooler_state() -> (tempfile::TempDir, AppState) {
    let content = tempfile::tempdir().unwrap();
    let text = "---\nsummary: About the spooler.\n---\n# Spooler\n\nThe spooler stops.\n";
    std::fs::write(content.path().join("a.md"), text).unwrap();
    let library = crate::content::Library::load(content.path(), None);
    let state = AppState(Arc::new(crate::state::App::new(
        crate::config::Config::new(content.path(), content.path()),
        library,
    )));
    (content, state)
}

/// Keeps every search thread busy; each message sent frees one.
fn occupy_search_threads(state: &AppState) -> std::sync::mpsc::Sender<()> {
    let threads = crate::state::App::search_threads();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let (started, all_started) = std::sync::mpsc::channel();
    for _ in 0..threads {
        let (released, started) = (released.clone(), started.clone());
        state.searchers.spawn(move || {
            started.send(()).unwrap();
            let _ = released.lock().unwrap().recv();
        });
    }
    for _ in 0..threads {
        all_started.recv().unwrap();
    }
    release
}

fn request(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        ..SearchRequest::default()
    }
}

#[tokio::test]
async fn more_searches_than_threads_are_handed_over_while_the_threads_are_busy() {
    let (_content, state) = spooler_state();
    let threads = crate::state::App::search_threads();
    let release = occupy_search_threads(&state);
    let waiting: Vec<_> = (0..threads * 2)
        .map(|k| {
            let state = state.clone();
            tokio::spawn(async move { run(&state, request(&format!("spooler {k}"))).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Each holds its place in the queue while it waits for a thread.
    let queue = crate::state::App::search_queue();
    assert_eq!(
        queue - state.searches.available_permits(),
        threads * 2,
        "handed over"
    );
    for _ in 0..threads {
        release.send(()).unwrap();
    }
    for search in waiting {
        assert_eq!(search.await.unwrap().unwrap().response.hits[0].slug, "a");
    }
}

#[tokio::test]
async fn a_search_whose_request_was_dropped_while_it_waited_for_a_thread_is_not_run() {
    let (_content, state) = spooler_state();
    let searches_run = |state: &AppState| state.search.cache_counts().1;
    let threads = crate::state::App::search_threads();
    let release = occupy_search_threads(&state);
    let dropped = tokio::spawn({
        let state = state.clone();
        async move { run(&state, request("spooler")).await }
    });
    // Handed to the threads, then its request dropped.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    dropped.abort();
    assert!(dropped.await.unwrap_err().is_cancelled());
    for _ in 0..threads {
        release.send(()).unwrap();
    }
    let kept = run(&state, request("stops")).await.unwrap();
    assert_eq!(kept.response.hits[0].slug, "a");
    assert_eq!(searches_run(&state), 1, "only the search still wanted ran");
}

#[tokio::test]
async fn repeats_answer_from_the_cache_while_every_search_slot_is_busy() {
    let content = tempfile::tempdir().unwrap();
    for (name, word) in [("a.md", "spooler"), ("b.md", "offload")] {
        let text = format!("---\nsummary: About the {word}.\n---\n# The {word}\n\nThe {word} stops.\n");
        std::fs::write(content.path().join(name), text).unwrap();
    }
    let library = crate::content::Library::load(content.path(), None);
    let state = AppState(Arc::new(crate::state::App::new(
        crate::config::Config::new(content.path(), content.path()),
        library,
    )));
    let first = run(&state, request("spooler")).await.unwrap();
    assert_eq!(first.response.hits[0].slug, "a");

    let busy = state
        .searches
        .acquire_many(crate::state::App::search_queue() as u32)
        .await
        .unwrap();
    let repeat = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        run(&state, request("spooler")),
    );
    let repeat = repeat.await.expect("a repeat needs no slot").unwrap();
    assert!(Arc::ptr_eq(&repeat, &first), "a repeat is the kept answer");

    let mut fresh = tokio::spawn({
        let state = state.clone();
        async move { run(&state, request("offload")).await }
    });
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut fresh).await;
    assert!(waited.is_err(), "a new search waits for a free slot");
    drop(busy);
    let fresh = fresh.await.unwrap().unwrap();
    assert_eq!(fresh.response.hits[0].slug, "b");
}
