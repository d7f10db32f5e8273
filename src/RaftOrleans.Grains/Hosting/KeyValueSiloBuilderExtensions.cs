using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RaftOrleans.Grains.KeyValue;
using RaftOrleans.KeyValue;

namespace RaftOrleans.Grains;

public static class KeyValueSiloBuilderExtensions
{
    /// <summary>Makes this silo's Raft node run the replicated key-value store
    /// (<see cref="KvNodeStateMachine"/>) instead of whatever state machine was registered before
    /// (AddRaftNode's default is the recording one). Call it before or after AddRaftNode.</summary>
    public static ISiloBuilder UseKeyValueStateMachine(this ISiloBuilder builder, KvOptions? options = null)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<IRaftStateMachineFactory>(new KvNodeStateMachineFactory(options)));
        return builder;
    }
}
