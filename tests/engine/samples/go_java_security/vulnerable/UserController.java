package com.example.web;

import java.io.File;
import java.io.FileInputStream;
import java.io.ObjectInputStream;
import java.net.URL;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Random;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.X509TrustManager;
import javax.servlet.http.HttpServletRequest;
import javax.xml.parsers.DocumentBuilderFactory;
import org.springframework.web.bind.annotation.RequestParam;

public class UserController {
    private static final Random RNG = new Random();
    private Connection connection;

    public ResultSet find(HttpServletRequest request) throws Exception {
        String id = request.getParameter("id");
        Statement st = connection.createStatement();
        return st.executeQuery("SELECT * FROM users WHERE id = '" + id + "'"); // expect: sql-injection
    }

    public void ping(@RequestParam String host) throws Exception {
        Runtime.getRuntime().exec(new String[] {"sh", "-c", "ping -c 1 " + host}); // expect: command-injection
    }

    public Object load(HttpServletRequest request) throws Exception {
        ObjectInputStream in = new ObjectInputStream(request.getInputStream()); // expect: unsafe-deserialization
        return in.readObject();
    }

    public Object parse(HttpServletRequest request) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance(); // expect: xxe
        return factory.newDocumentBuilder().parse(request.getInputStream());
    }

    public byte[] read(@RequestParam("name") String name) throws Exception {
        try (FileInputStream in = new FileInputStream(new File("/srv/data", name))) { // expect: path-traversal
            return in.readAllBytes();
        }
    }

    public Object fetch(HttpServletRequest request) throws Exception {
        String target = request.getParameter("url");
        return new URL(target).openConnection().getContent(); // expect: ssrf
    }

    public void trustAll() {
        X509TrustManager tm = new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String type) { }
            public void checkServerTrusted(X509Certificate[] chain, String type) { } // expect: insecure-tls
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        HttpsURLConnection.setDefaultHostnameVerifier((h, s) -> true); // expect: insecure-tls
    }

    public byte[] hashPassword(String password) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5"); // expect: weak-crypto
        return md.digest(password.getBytes());
    }

    public String resetToken() {
        String token = Long.toHexString(new Random().nextLong()); // expect: insecure-random
        return token;
    }

    public void archive(@RequestParam String dir) throws Exception {
        Runtime rt = Runtime.getRuntime();
        rt.exec("tar czf /tmp/backup.tgz " + dir); // expect: command-injection
    }

    public String sessionId() {
        String sessionId = Long.toHexString(RNG.nextLong()); // expect: insecure-random
        return sessionId;
    }
}
