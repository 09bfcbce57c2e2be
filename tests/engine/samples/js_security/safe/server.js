const express = require("express");
const { execFile } = require("child_process");
const fs = require("fs");
const path = require("path");
const app = express();

app.get("/calc", (req, res) => {
  res.json({ value: Number(req.query.expr) + 1 });
});

app.get("/ping", (req, res) => {
  execFile("ping", ["-c", "1", req.query.host], (err, out) => res.send(out));
});

app.get("/user", async (req, res) => {
  const rows = await db.query("SELECT * FROM users WHERE id = $1", [req.params.id]);
  res.json(rows);
});

app.get("/hello", (req, res) => {
  res.render("hello", { name: req.query.name });
});

app.get("/go", (req, res) => {
  res.redirect("/home");
});

app.get("/file", (req, res) => {
  fs.readFile(path.join("/srv/files", "index.html"), (err, data) => res.send(data));
});

app.get("/proxy", async (req, res) => {
  const response = await fetch("https://api.example.com/status");
  res.send(await response.text());
});

app.get("/search", (req, res) => {
  const pattern = new RegExp("^[a-z]+$");
  res.json(items.filter((i) => pattern.test(i)));
});

const agent = new https.Agent({ rejectUnauthorized: true });

function cacheKey(url) {
  return crypto.createHash("sha256").update(url).digest("hex");
}

function jitter() {
  const delay = Math.random() * 100;
  return delay;
}

function check(token, key) {
  return jwt.verify(token, key, { algorithms: ["HS256"] });
}
