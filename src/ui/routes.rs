//! Every path the dashboard answers, under `--base-path`, all behind `auth::guard`.

use super::state::App;
use super::{api, assets, auth, metrics, pages, sse};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    let at = |p: &str| app.at(p);
    let mut r = Router::new()
        .route(&at("/health"), get(metrics::health))
        .route(&at("/metrics"), get(metrics::metrics))
        .route(&at("/api/queues"), get(api::queues))
        .route(&at("/api/queues/{queue}/pause"), post(api::pause))
        .route(&at("/api/queues/{queue}/resume"), post(api::resume))
        .route(&at("/api/queues/{queue}/clear"), post(api::clear))
        .route(&at("/api/jobs"), get(api::jobs))
        .route(&at("/api/jobs/{uuid}"), get(api::job))
        .route(&at("/api/failed"), get(api::failed))
        .route(&at("/api/failed/retry"), post(api::retry))
        .route(&at("/api/failed/forget"), post(api::forget))
        .route(&at("/api/batches"), get(api::batches))
        .route(&at("/api/batches/{id}/cancel"), post(api::cancel_batch))
        .route(&at("/api/batches/{id}/retry"), post(api::retry_batch))
        .route(&at("/api/workers"), get(api::workers))
        .route(&at("/api/events"), get(sse::events))
        .route(&at("/api/csrf"), get(api::csrf))
        .route(&at("/assets/{file}"), get(assets::serve))
        .route(
            &at("/login"),
            get(pages::login::show).post(pages::login::submit),
        )
        .route(&at("/"), get(pages::overview::page_handler))
        .route(&at("/jobs"), get(pages::jobs::list))
        .route(&at("/jobs/{uuid}"), get(pages::jobs::one))
        .route(&at("/failed"), get(pages::failed::list))
        .route(&at("/failed/act"), post(pages::failed::act))
        .route(&at("/batches"), get(pages::lists::batches))
        .route(
            &at("/batches/{id}/{action}"),
            post(pages::lists::batch_action),
        )
        .route(&at("/workers"), get(pages::lists::workers))
        .route(&at("/queues"), get(pages::lists::queues))
        .route(
            &at("/queues/{queue}/{action}"),
            post(pages::lists::queue_action),
        );
    if !app.opts.base.is_empty() {
        let home = at("/");
        r = r.route(
            &app.opts.base,
            get(move || async move { Redirect::permanent(&home) }),
        );
    }
    r.layer(axum::middleware::from_fn_with_state(
        app.clone(),
        auth::guard,
    ))
    .with_state(app)
}
