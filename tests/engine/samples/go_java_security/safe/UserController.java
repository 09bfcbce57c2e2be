package com.example.web;

import java.io.ObjectInputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import javax.servlet.http.HttpServletRequest;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.springframework.web.bind.annotation.RequestParam;

public class UserController {
    private Connection connection;
    private static final SecureRandom RANDOM = new SecureRandom();

    public ResultSet find(HttpServletRequest request) throws Exception {
        String id = request.getParameter("id");
        PreparedStatement st = connection.prepareStatement("SELECT * FROM users WHERE id = ?");
        st.setString(1, id);
        return st.executeQuery();
    }

    public void ping(@RequestParam String host) throws Exception {
        new ProcessBuilder("ping", "-c", "1", host).start();
    }

    public Object load(HttpServletRequest request) throws Exception {
        ObjectInputStream in = new ObjectInputStream(request.getInputStream());
        in.setObjectInputFilter(info -> info.serialClass() == String.class ? java.io.ObjectInputFilter.Status.ALLOWED : java.io.ObjectInputFilter.Status.REJECTED);
        return in.readObject();
    }

    public Object parse(HttpServletRequest request) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        return factory.newDocumentBuilder().parse(request.getInputStream());
    }

    public byte[] read(@RequestParam("name") String name) throws Exception {
        return Files.readAllBytes(Path.of("/srv/data/index.txt"));
    }

    public Object fetch(HttpServletRequest request) throws Exception {
        return new URL("https://api.example.com/status").openConnection().getContent();
    }

    public byte[] checksum(byte[] data) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        return md.digest(data);
    }

    public String resetToken() {
        byte[] buf = new byte[16];
        RANDOM.nextBytes(buf);
        return java.util.HexFormat.of().formatHex(buf);
    }

    public void archive(@RequestParam String dir) throws Exception {
        Runtime rt = Runtime.getRuntime();
        rt.exec(new String[] {"tar", "czf", "/tmp/backup.tgz", "--", "/srv/data"});
    }

    public String sessionId() {
        byte[] buf = new byte[16];
        RANDOM.nextBytes(buf);
        String sessionId = java.util.HexFormat.of().formatHex(buf);
        return sessionId;
    }

    public int jitter() {
        java.util.Random jitterSource = new java.util.Random();
        int delay = jitterSource.nextInt(100);
        return delay;
    }
}
