using System.Numerics;

namespace RaftOrleans.History.Checker;

/// <summary>
/// The set of operations linearized so far on the search's current path, and compact keys for the
/// memo of (set, model state) pairs. Operations are numbered in call order and mostly linearized in
/// that order, so a set is stored as "every operation below <c>Prefix</c>" plus the few above it: a
/// memo entry costs a handful of integers, not a bitset as long as the history. A Zobrist hash
/// (a random number per operation, XORed in and out) keeps hashing O(1) per step.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _bits;
    private readonly ulong[] _zobrist;
    private ulong _hash;

    public LinearizedSet(int operationCount)
    {
        _bits = new ulong[(operationCount + 63) / 64 + 1];
        _zobrist = new ulong[operationCount];
        var seed = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < operationCount; i++)
        {
            _zobrist[i] = SplitMix64(ref seed);
        }
    }

    public int Count { get; private set; }

    /// <summary>The lowest operation not in the set.</summary>
    public int Prefix { get; private set; }

    public void Add(int operation)
    {
        _bits[operation >> 6] |= 1UL << operation;
        _hash ^= _zobrist[operation];
        Count++;
        while (Contains(Prefix))
        {
            Prefix++;
        }
    }

    public void Remove(int operation)
    {
        _bits[operation >> 6] &= ~(1UL << operation);
        _hash ^= _zobrist[operation];
        Count--;
        Prefix = Math.Min(Prefix, operation);
    }

    /// <summary>The memo key of this set plus <paramref name="operation"/>, with model state <paramref name="state"/>.</summary>
    public Key KeyWith(int operation, int state)
    {
        Add(operation);
        var extras = new int[Count - Prefix];
        var found = 0;
        for (var word = (Prefix + 1) >> 6; found < extras.Length; word++)
        {
            for (var bits = _bits[word]; bits != 0; bits &= bits - 1)
            {
                var id = (word << 6) + BitOperations.TrailingZeroCount(bits);
                if (id > Prefix)
                {
                    extras[found++] = id;
                }
            }
        }
        var key = new Key(Prefix, extras, state, _hash ^ ((ulong)state * 0xD6E8FEB86659FD93UL));
        Remove(operation);
        return key;
    }

    private bool Contains(int operation) =>
        operation < _zobrist.Length && (_bits[operation >> 6] & (1UL << operation)) != 0;

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public sealed class Key(int prefix, int[] extras, int state, ulong hash) : IEquatable<Key>
    {
        private readonly int _prefix = prefix;
        private readonly int[] _extras = extras;
        private readonly int _state = state;
        private readonly ulong _hash = hash;

        public bool Equals(Key? other) =>
            other is not null && _hash == other._hash && _prefix == other._prefix && _state == other._state
            && _extras.AsSpan().SequenceEqual(other._extras);

        public override bool Equals(object? obj) => Equals(obj as Key);

        public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));
    }
}
