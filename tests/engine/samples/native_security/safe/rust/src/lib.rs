//! The safe twins of vulnerable/rust/src/lib.rs.
use actix_web::{web, HttpResponse};
use std::process::Command;

pub struct Params {
    pub dir: String,
}

pub async fn list(q: web::Query<Params>) -> HttpResponse {
    let out = Command::new("ls").arg("-l").arg(&q.dir).output();
    let fixed = Command::new("sh").arg("-c").arg("ls -l /srv").output();
    HttpResponse::Ok().body(format!("{:?} {:?}", out, fixed))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(false)
        .build()
        .unwrap_or_default()
}

pub struct Log {
    file: std::fs::File,
}

impl Drop for Log {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = self.file.flush();
    }
}
