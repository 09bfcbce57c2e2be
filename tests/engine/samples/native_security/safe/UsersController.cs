// The safe twins of vulnerable/UsersController.cs.
using System.Data.SqlClient;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

[ApiController]
public class UsersController : ControllerBase
{
    private readonly SqlConnection conn;

    [HttpGet("users")]
    public IActionResult Find(string name)
    {
        using var cmd = new SqlCommand("SELECT * FROM users WHERE name = @name", conn);
        cmd.Parameters.AddWithValue("@name", name);
        return Ok(cmd.ExecuteScalar());
    }

    [HttpPost("run")]
    public IActionResult Run()
    {
        string dir = Request.Query["dir"];
        var info = new ProcessStartInfo("dir");
        info.ArgumentList.Add(dir);
        Process.Start(info);
        var state = JsonSerializer.Deserialize<State>(Request.Body);
        return Ok(state);
    }

    public static void TrustPinned()
    {
        ServicePointManager.ServerCertificateValidationCallback = (s, cert, chain, errors) => errors == System.Net.Security.SslPolicyErrors.None;
    }

    public static byte[] HashPassword(string password, byte[] salt)
    {
        return Rfc2898DeriveBytes.Pbkdf2(password, salt, 600000, HashAlgorithmName.SHA256, 32);
    }

    public static int NewSessionToken()
    {
        int sessionToken = RandomNumberGenerator.GetInt32(int.MaxValue);
        return sessionToken;
    }

    public static int Jitter()
    {
        var rng = new System.Random();
        int delay = rng.Next(100);
        return delay;
    }
}
