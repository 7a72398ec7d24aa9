using System.Net;
using System.Net.Sockets;

namespace Ioc.Testing;

/// <summary>Free loopback ports for servers started by this process.</summary>
/// <remarks>
/// The ports come from below the kernel's ephemeral range. A port the kernel hands out for <c>bind(0)</c> is one it
/// also hands out as the local end of outgoing connections, and this process and its children open many (HTTP
/// clients, Orleans, PostgreSQL): such a port could be taken between the moment it is chosen and the moment the
/// server it is meant for binds it, and the server then fails to start. Below the range only a listener can take it.
/// </remarks>
public static class FreePort
{
    private const int Lowest = 10_000;
    private static readonly object Gate = new();
    private static readonly int Highest = EphemeralStart() - 1;
    // A different start per process, so that two test processes on one machine rarely try the same ports.
    private static int _next = Lowest + Random.Shared.Next(Highest - Lowest);

    /// <summary>A port nothing listens on now and that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var tried = 0; tried <= Highest - Lowest; tried++)
            {
                var port = _next;
                _next = _next >= Highest ? Lowest : _next + 1;
                if (Bindable(port)) return port;
            }
            throw new InvalidOperationException($"No free loopback port between {Lowest} and {Highest}.");
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux), or 32768 where it cannot be read.</summary>
    private static int EphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture) is var start and > Lowest + 1_000 ? start : 32_768;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
