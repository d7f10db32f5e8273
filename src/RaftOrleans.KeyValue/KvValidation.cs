using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.KeyValue;

/// <summary>Why a command is refused before it touches the store.</summary>
public sealed record KvValidationError(KvStatus Status, string Message);

/// <summary>
/// The checks <see cref="KvStateMachine.Apply"/> makes before executing a command, exposed so a client
/// or the console can refuse a bad command early instead of paying for a Raft round. The state machine
/// runs the same checks, so a command that passes here is never refused there for the same reason.
/// </summary>
public static class KvValidation
{
    /// <summary>Null when <paramref name="command"/> is well formed and within the limits.</summary>
    public static KvValidationError? Validate(KvCommand command, KvOptions options) =>
        ValidateSession(command, options) ?? Validate(command.Operation, options);

    /// <summary>Null when <paramref name="operation"/> is well formed and within the limits.</summary>
    public static KvValidationError? Validate(KvOperation operation, KvOptions options) => operation switch
    {
        PutOperation put => ValidateKey(put.Key, options) ?? ValidateValue(put.Value, options),
        GetOperation get => ValidateKey(get.Key, options),
        DeleteOperation delete => ValidateKey(delete.Key, options),
        CasOperation cas => ValidateKey(cas.Key, options)
            ?? (cas.Expected is null ? null : ValidateValue(cas.Expected, options))
            ?? ValidateValue(cas.Value, options),
        ListOperation list => ValidateList(list, options),
        OpenSessionOperation => null,
        _ => Invalid($"unknown operation {operation.GetType().Name}"),
    };

    private static KvValidationError? ValidateSession(KvCommand command, KvOptions options)
    {
        if (command.Sequence < 0)
        {
            return Invalid($"sequence {command.Sequence} is negative");
        }
        var opensSession = command.Operation is OpenSessionOperation;
        if (opensSession && command.Sequence != 0)
        {
            return Invalid("opening a session carries no sequence (0)");
        }
        if (command.Sequence == 0 && command.LowestOutstandingSequence != 0)
        {
            return Invalid("a command without a session carries no lowest outstanding sequence (0)");
        }
        if (command.Sequence > 0
            && (command.LowestOutstandingSequence < 1 || command.LowestOutstandingSequence > command.Sequence))
        {
            return Invalid($"lowest outstanding sequence {command.LowestOutstandingSequence} is not in 1..{command.Sequence}");
        }
        if (opensSession || command.Sequence > 0)
        {
            if (command.ClientId.Length == 0 || command.ClientId.Length > options.MaxClientIdChars)
            {
                return Invalid($"client id must have 1..{options.MaxClientIdChars} characters");
            }
            if (!BinaryFormat.IsValidUnicode(command.ClientId))
            {
                return Invalid("client id is not valid Unicode");
            }
        }
        return null;
    }

    private static KvValidationError? ValidateKey(string key, KvOptions options)
    {
        if (key.Length == 0)
        {
            return new(KvStatus.InvalidKey, "key is empty");
        }
        if (!BinaryFormat.IsValidUnicode(key))
        {
            return new(KvStatus.InvalidKey, "key is not valid Unicode");
        }
        var bytes = BinaryFormat.Utf8Length(key);
        return bytes > options.MaxKeyBytes
            ? new(KvStatus.InvalidKey, $"key is {bytes} bytes, more than the limit of {options.MaxKeyBytes}")
            : null;
    }

    private static KvValidationError? ValidateValue(string value, KvOptions options)
    {
        if (!BinaryFormat.IsValidUnicode(value))
        {
            return Invalid("value is not valid Unicode");
        }
        var bytes = BinaryFormat.Utf8Length(value);
        return bytes > options.MaxValueBytes
            ? new(KvStatus.ValueTooLarge, $"value is {bytes} bytes, more than the limit of {options.MaxValueBytes}")
            : null;
    }

    private static KvValidationError? ValidateList(ListOperation list, KvOptions options)
    {
        if (list.Limit < 1 || list.Limit > options.MaxListLimit)
        {
            return Invalid($"list limit {list.Limit} is not in 1..{options.MaxListLimit}");
        }
        if (list.Prefix.Length == 0)
        {
            return null;
        }
        var error = ValidateKey(list.Prefix, options);
        return error is null ? null : error with { Message = "prefix: " + error.Message };
    }

    private static KvValidationError Invalid(string message) => new(KvStatus.InvalidCommand, message);
}
