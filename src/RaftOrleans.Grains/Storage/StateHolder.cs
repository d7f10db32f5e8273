namespace RaftOrleans.Grains.Storage;

/// <summary>The envelope <see cref="Orleans.Storage.IGrainStorage"/> reads into and writes from: a state
/// and the ETag (row version) that fences concurrent writers.</summary>
internal sealed class StateHolder<T> : IGrainState<T>
{
    public StateHolder(T state, string? eTag = null)
    {
        State = state;
        ETag = eTag;
    }

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public T State { get; set; }
    public string? ETag { get; set; }
    public bool RecordExists { get; set; }
}
