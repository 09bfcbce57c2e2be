//! An actix-web handler and helpers: the query is the request's.
use actix_web::{web, HttpResponse};
use std::process::Command;

pub struct Params {
    pub dir: String,
}

pub async fn list(q: web::Query<Params>) -> HttpResponse {
    let script = format!("ls -l {}", q.dir);
    let out = Command::new("sh").arg("-c").arg(&script).output(); // expect: command-injection
    HttpResponse::Ok().body(format!("{:?}", out))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true) // expect: insecure-tls
        .build()
        .unwrap_or_default()
}

pub struct Log {
    file: std::fs::File,
}

impl Drop for Log {
    fn drop(&mut self) {
        use std::io::Write;
        self.file.flush().unwrap(); // expect: panic-in-drop
    }
}
