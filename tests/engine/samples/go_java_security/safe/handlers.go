package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
)

func Run(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	cmd := exec.Command("ls", "--", name)
	_ = cmd.Run()
}

func Find(db *sql.DB, w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	rows, err := db.Query("SELECT * FROM users WHERE id = $1", id)
	if err == nil {
		rows.Close()
	}
}

func Download(w http.ResponseWriter, r *http.Request) {
	http.ServeFile(w, r, "/srv/files/index.html")
}

func Read(w http.ResponseWriter, r *http.Request) {
	f, err := os.Open(filepath.Join("/srv/files", "static.txt"))
	if err == nil {
		f.Close()
	}
}

func Proxy(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("https://api.example.com/status")
	if err == nil {
		resp.Body.Close()
	}
}

func Client() *http.Client {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func ResetToken() string {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf)
}

func Checksum(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

func Tool() {
	out, err := exec.Command("git", "status").Output()
	if err == nil {
		os.Stdout.Write(out)
	}
}

func Fetch(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{}
	resp, err := client.Get("https://feeds.example.com/" + "news.xml")
	if err == nil {
		resp.Body.Close()
	}
}
