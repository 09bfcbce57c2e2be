const express = require("express");
const { exec } = require("child_process");
const fs = require("fs");
const axios = require("axios");
const app = express();

app.get("/calc", (req, res) => {
  const expr = req.query.expr;
  res.json({ value: eval(expr) }); // expect: code-injection
});

app.get("/ping", (req, res) => {
  const host = req.query.host;
  exec(`ping -c 1 ${host}`, (err, out) => res.send(out)); // expect: command-injection
});

app.get("/user", async (req, res) => {
  const { id } = req.params;
  const sql = "SELECT * FROM users WHERE id = " + id;
  const rows = await db.query(sql); // expect: sql-injection
  res.json(rows);
});

app.get("/hello", (req, res) => {
  res.send("<h1>Hello " + req.query.name + "</h1>"); // expect: xss
});

app.get("/go", (req, res) => {
  res.redirect(req.query.next); // expect: open-redirect
});

app.get("/file", (req, res) => {
  const name = req.query.name;
  fs.readFile("/srv/files/" + name, (err, data) => res.send(data)); // expect: path-traversal
});

app.get("/proxy", async (req, res) => {
  const target = req.body.url;
  const response = await axios.get(target); // expect: ssrf
  res.send(response.data);
});

app.get("/search", (req, res) => {
  const pattern = new RegExp(req.query.q); // expect: regex-injection
  res.json(items.filter((i) => pattern.test(i)));
});

const agent = new https.Agent({ rejectUnauthorized: false }); // expect: insecure-tls

function hashPassword(password) {
  return crypto.createHash("md5").update(password).digest("hex"); // expect: weak-crypto
}

function makeResetToken() {
  const resetToken = Math.random().toString(36).slice(2); // expect: insecure-random
  return resetToken;
}

function check(token, key) {
  return jwt.verify(token, key, { algorithms: ["HS256", "none"] }); // expect: jwt-verification-disabled
}
