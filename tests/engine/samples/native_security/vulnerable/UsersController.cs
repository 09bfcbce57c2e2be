// An ASP.NET Core controller: action parameters and Request come from the client.
using System.Data.SqlClient;
using System.Diagnostics;
using System.Net;
using System.Runtime.Serialization.Formatters.Binary;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;

[ApiController]
public class UsersController : ControllerBase
{
    private readonly SqlConnection conn;

    [HttpGet("users")]
    public IActionResult Find(string name)
    {
        var sql = "SELECT * FROM users WHERE name = '" + name + "'";
        using var cmd = new SqlCommand(sql, conn); // expect: sql-injection
        return Ok(cmd.ExecuteScalar());
    }

    [HttpPost("run")]
    public IActionResult Run()
    {
        string dir = Request.Query["dir"];
        Process.Start("cmd.exe", "/c dir " + dir); // expect: command-injection
        var formatter = new BinaryFormatter();
        var state = formatter.Deserialize(Request.Body); // expect: unsafe-deserialization
        return Ok(state);
    }

    public static void TrustEveryone()
    {
        ServicePointManager.ServerCertificateValidationCallback = (s, cert, chain, errors) => true; // expect: insecure-tls
    }

    public static byte[] HashPassword(string password)
    {
        using var md5 = MD5.Create(); // expect: weak-crypto
        return md5.ComputeHash(System.Text.Encoding.UTF8.GetBytes(password));
    }

    public static int NewSessionToken()
    {
        var rng = new System.Random();
        int sessionToken = rng.Next(); // expect: insecure-random
        return sessionToken;
    }
}
