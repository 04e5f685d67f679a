//! `/login`: start a session with the token (a cookie), for a browser; scripts send the token
//! as `Authorization: Bearer TOKEN` instead.

use super::super::auth::{same, session_cookie};
use super::super::state::App;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, DOCTYPE};
use std::sync::Arc;

fn form(app: &App, wrong: bool) -> Html<String> {
    let v = super::super::assets::version();
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "Sign in · queue" }
                    link rel="stylesheet" href=(app.at(&format!("/assets/ui.{v}.css")));
                }
                body { main { div.card.login {
                    h1 { "queue" }
                    p.muted { "This dashboard needs its token (the --token or QUEUE_UI_TOKEN it was started with)." }
                    @if wrong { p.error { "That is not the token." } }
                    form method="post" action=(app.at("/login")) {
                        p { input #token type="password" name="token" autofocus style="width:100%" placeholder="token"; }
                        button.primary #sign-in type="submit" { "Sign in" }
                    }
                } } }
            }
        }
        .into_string(),
    )
}

pub async fn show(State(app): State<Arc<App>>) -> Response {
    if app.opts.token.is_none() {
        return Redirect::to(&app.at("/")).into_response();
    }
    form(&app, false).into_response()
}

#[derive(serde::Deserialize)]
pub struct Login {
    token: String,
}

pub async fn submit(State(app): State<Arc<App>>, Form(login): Form<Login>) -> Response {
    match &app.opts.token {
        Some(token) if same(login.token.trim(), token) => {
            let (id, _) = app.start_session();
            let mut r = Redirect::to(&app.at("/")).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&app, &id));
            r
        }
        Some(_) => (StatusCode::UNAUTHORIZED, form(&app, true)).into_response(),
        None => Redirect::to(&app.at("/")).into_response(),
    }
}
