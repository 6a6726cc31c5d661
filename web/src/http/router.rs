//! Every URL of the site, in one function, plus the layers around them.

use std::time::Duration;

use axum::Router;
use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

use super::error::{ErrorFormat, ErrorMarker, render_error};
use super::views::Layout;
use super::{AppError, admin, articles, assets, feedback, fixes, home, meta, receipts, search};

/// Requests taking longer than this get a 408 instead of holding a connection forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body accepted anywhere (script uploads to `/verify` are the biggest).
const BODY_LIMIT: usize = 1024 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Builds the router with all routes and middleware.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(home::show_home))
        .route("/search", get(search::show_search))
        .route("/api/search", get(search::search_json))
        .route("/api/suggest", get(search::suggest_json))
        .route(
            "/kb/{*slug}",
            get(articles::show_article).post(feedback::submit_article_feedback),
        )
        .route(
            "/r/{receipt}",
            get(receipts::show_receipt).post(receipts::submit_receipt_feedback),
        )
        .route(
            "/verify",
            get(receipts::verify::show_verify).post(receipts::verify::verify_script),
        )
        .route("/fixes/{fix}", get(fixes::show_fix))
        .route("/fixes/{fix}/download", get(fixes::download_fix))
        .route("/fixes/{fix}/revert", get(fixes::download_revert))
        .route("/api/fixes", get(fixes::list_fixes_json))
        .route("/api/fixes/{fix}", get(fixes::fix_json))
        .route("/api/fixes/{fix}/render", post(fixes::render_fix_json))
        .route("/admin", get(admin::show_admin))
        .route("/admin/login", post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/csv/{report}", get(admin::report_csv))
        .route("/products/{product}", get(home::list_product))
        .route("/tags/{tag}", get(home::list_tag))
        .route("/api/articles/{*slug}", get(articles::article_json))
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/sitemap.xml", get(meta::sitemap))
        .route("/feed.xml", get(meta::feed))
        .route("/opensearch.xml", get(meta::opensearch))
        .route("/robots.txt", get(meta::robots))
        .route("/static/{name}", get(assets::serve_asset))
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent(&assets::url("favicon.svg")) }),
        );

    routes
        .fallback(not_found)
        .layer(ErrorPagesLayer(state.clone()))
        .layer(compression())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Compression for the responses that are not kept (suggestions, JSON APIs, feeds): each is
/// made for one request, so it is compressed at `encoding::FAST_LEVEL` (brotli 1, gzip 1), as
/// search answers are (`encoding::Encoded::answer`). The layer's default, brotli 4 with its
/// tables allocated and zeroed for every response, was two thirds of a suggestion's
/// instructions (BENCHMARKS.md). Bodies under `encoding::MIN_COMPRESSED` go as they are, as
/// kept ones do; nor are images, event streams and gRPC compressed (the layer's defaults).
fn compression() -> CompressionLayer<impl Predicate> {
    let big_enough = SizeAbove::new(crate::encoding::MIN_COMPRESSED as u16);
    let when = big_enough
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(not_sent_as_is);
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(crate::encoding::FAST_LEVEL as i32))
        .compress_when(when)
}

/// Whether the compression layer may compress this response. Not when it is sent as it is on
/// purpose:
/// - a download (`Content-Disposition: attachment`) goes out as its exact bytes, whatever the
///   client accepts: the SHA-256 the page and `X-Content-SHA256` show is then that of what crosses
///   the wire, tools that save a body without decoding it get the script, and a script of a few
///   kilobytes gains little from compressing (which costs about as much as rendering it);
/// - a kept page or answer chose its coding itself (`encoding::Encoded::respond`, which always
///   says `Vary: Accept-Encoding`): when it went out uncompressed, compressing did not help or the
///   body is too small to gain, and compressing it again at every request would cost more than
///   the rest of the request.
fn not_sent_as_is(
    _: StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    let attachment = headers
        .get(header::CONTENT_DISPOSITION)
        .is_some_and(|v| v.as_bytes().starts_with(b"attachment"));
    let negotiated = headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"accept-encoding"));
    !attachment && !negotiated
}

async fn not_found() -> AppError {
    AppError::not_found("There is nothing at this address. Try searching for what you need.")
}

/// Gives error responses their body (the HTML error page, or JSON under `/api`) and every
/// response the security headers it did not set itself. A plain tower layer rather than
/// `middleware::from_fn`, which boxes and clones the whole inner service for every request
/// (measured: 8% of an article page's throughput), and one layer rather than one per header.
#[derive(Clone)]
struct ErrorPagesLayer(AppState);

impl<S> tower::Layer<S> for ErrorPagesLayer {
    type Service = ErrorPages<S>;

    fn layer(&self, inner: S) -> ErrorPages<S> {
        ErrorPages {
            inner,
            state: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct ErrorPages<S> {
    inner: S,
    state: AppState,
}

impl<S> tower::Service<Request> for ErrorPages<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let uri = request.uri().clone();
        let state = self.state.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let mut response = match response.extensions().get::<ErrorMarker>() {
                Some(ErrorMarker(message)) => error_page(&state, uri.path(), response.status(), message),
                None => response,
            };
            let headers = response.headers_mut();
            for (name, value) in SECURITY_HEADERS {
                if !headers.contains_key(&name) {
                    headers.insert(name, HeaderValue::from_static(value));
                }
            }
            Ok(response)
        })
    }
}

/// The error page for a request to `path`.
fn error_page(state: &AppState, path: &str, status: StatusCode, message: &str) -> Response {
    let format = if path.starts_with("/api/") {
        ErrorFormat::Json
    } else {
        ErrorFormat::Html
    };
    let mut layout = Layout::new(state, "");
    if status == StatusCode::NOT_FOUND {
        // Pre-fill the 404 page's search box with what the address seemed to look for.
        layout.query = path
            .trim_start_matches("/kb/")
            .replace(['-', '/'], " ")
            .trim()
            .to_owned();
    }
    render_error(status, message, format, layout)
}

/// Set on every response that does not set its own.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];
