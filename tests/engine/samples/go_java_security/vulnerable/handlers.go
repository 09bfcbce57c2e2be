package handlers

import (
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
)

func Run(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	cmd := exec.Command("sh", "-c", "ls "+name) // expect: command-injection
	_ = cmd.Run()
}

func Find(db *sql.DB, w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	q := fmt.Sprintf("SELECT * FROM users WHERE id = '%s'", id)
	rows, err := db.Query(q) // expect: sql-injection
	if err == nil {
		rows.Close()
	}
}

func Download(w http.ResponseWriter, r *http.Request) {
	file := r.URL.Query().Get("file")
	http.ServeFile(w, r, "/srv/files/"+file) // expect: path-traversal
}

func Read(w http.ResponseWriter, r *http.Request) {
	f, err := os.Open(r.FormValue("path")) // expect: path-traversal
	if err == nil {
		f.Close()
	}
}

func Proxy(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	resp, err := http.Get(target) // expect: ssrf
	if err == nil {
		resp.Body.Close()
	}
}

func Client() *http.Client {
	cfg := &tls.Config{InsecureSkipVerify: true} // expect: insecure-tls
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func ResetToken() string {
	token := fmt.Sprint(rand.Int63()) // expect: insecure-random
	return token
}

func HashPassword(password string) []byte {
	sum := md5.Sum([]byte(password)) // expect: weak-crypto
	return sum[:]
}

func Tool() {
	out, _ := exec.Command("bash", "-c", "grep "+os.Args[1]+" /var/log/app.log").Output() // expect: command-injection
	fmt.Println(string(out))
}

func Fetch(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{}
	resp, err := client.Get(r.FormValue("feed")) // expect: ssrf
	if err == nil {
		resp.Body.Close()
	}
}
