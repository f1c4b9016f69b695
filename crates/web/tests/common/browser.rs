//! A browser for the admin tests: keeps cookies, echoes CSRF tokens, signs in, and can come
//! from a given address.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use tower::ServiceExt;

use super::{Site, body_text};

/// A browser: keeps cookies, knows the CSRF token of its session.
pub struct Browser<'a> {
    pub site: &'a Site,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
    /// The address the server sees (`ConnectInfo`); none, as in most tests, is "unknown".
    pub address: Option<SocketAddr>,
}

impl<'a> Browser<'a> {
    pub fn new(site: &'a Site) -> Self {
        Self {
            site,
            cookies: Vec::new(),
            csrf: String::new(),
            address: None,
        }
    }

    /// A browser whose requests come from `ip`.
    pub fn at(site: &'a Site, ip: &str) -> Self {
        let mut browser = Self::new(site);
        browser.address = Some(SocketAddr::new(ip.parse().unwrap(), 40000));
        browser
    }

    /// The value of cookie `name`, if set.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub async fn request(&mut self, method: Method, uri: &str, form: &[(&str, &str)]) -> Response {
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            builder = builder.header(header::COOKIE, cookie);
        }
        let body = if method == Method::POST {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(serde_urlencoded::to_string(form).unwrap())
        } else {
            Body::empty()
        };
        let mut request = builder.body(body).unwrap();
        if let Some(address) = self.address {
            request.extensions_mut().insert(ConnectInfo(address));
        }
        let response = self.site.app.clone().oneshot(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        response
    }

    pub async fn get(&mut self, uri: &str) -> (StatusCode, String) {
        let response = self.request(Method::GET, uri, &[]).await;
        let status = response.status();
        let html = body_text(response).await;
        if let Some(token) = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        {
            self.csrf = token.to_owned();
        }
        (status, html)
    }

    /// Posts a form with the session's CSRF token; returns status, Location and body.
    pub async fn post(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let csrf = self.csrf.clone();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend_from_slice(fields);
        let response = self.request(Method::POST, uri, &form).await;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, body_text(response).await)
    }

    pub async fn sign_in(
        &mut self,
        username: &str,
        password: &str,
    ) -> (StatusCode, String, String) {
        let (_, html) = self.get("/admin/login").await;
        let token = html
            .split("name=\"login_csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let response = self
            .request(
                Method::POST,
                "/admin/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("login_csrf", &token),
                    ("next", "/admin/"),
                ],
            )
            .await;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = body_text(response).await;
        if status == StatusCode::SEE_OTHER {
            self.get("/admin/").await;
        }
        (status, location, body)
    }
}
