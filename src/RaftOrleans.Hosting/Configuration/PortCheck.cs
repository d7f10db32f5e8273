using System.Net;
using System.Net.Sockets;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>Orleans binds its ports with address reuse, so a second silo on a port already in use starts
/// without an error and the two clusters then share connections. Binding a plain socket first tells.</summary>
public static class PortCheck
{
    public static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
