using System.Net;
using System.Net.Sockets;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>Orleans binds its ports with address reuse, so a second silo on a port already in use starts
/// without an error and the two clusters then share connections. Binding a plain socket first tells.</summary>
public static class PortCheck
{
    public static bool IsFree(IPAddress address, int port) => Problem(address, port) is null;

    /// <summary>Null when the port can be bound on that address, else why not ("already in use", ...).</summary>
    public static string? Problem(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return $"port {port} is already in use";
        }
        catch (SocketException e)
        {
            return $"cannot listen on {address}:{port} ({e.SocketErrorCode})";
        }
    }
}
