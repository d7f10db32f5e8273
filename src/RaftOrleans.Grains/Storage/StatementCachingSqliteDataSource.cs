using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace RaftOrleans.Grains.Storage;

/// <summary>
/// The node's SQLite database for Orleans' ADO.NET grain storage (<c>AdoNetGrainStorageOptions.DataSource</c>), with
/// prepared statements that outlive a call. Orleans makes a new connection and command for every row it reads or
/// writes, and Microsoft.Data.Sqlite keeps a prepared statement only as long as its command
/// (dotnet/efcore#14044), so every write compiled its SQL again: perf put that at 12-13% of a loaded node's CPU,
/// ten times what executing the statements cost.
/// <para>So one connection stays open for the life of the silo, with its commands kept by SQL text. A call takes
/// it when it is free; a call that finds it in use (the loop's write and a deletion off the loop at the same
/// moment) opens an ordinary pooled connection instead, as before, so nothing ever waits for the cached one and
/// no nesting can deadlock. Owned by the silo's container, which disposes it (Orleans does not).</para>
/// </summary>
public sealed class StatementCachingSqliteDataSource(string connectionString) : DbDataSource
{
    /// <summary>More distinct statements than the store ever uses; past it the cache starts over.</summary>
    private const int MaxCachedStatements = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private SqliteConnection? _shared;
    private bool _sharedInUse;
    private bool _disposed;

    public override string ConnectionString { get; } = connectionString;

    /// <summary>Statements compiled on the shared connection so far (each is then reused).</summary>
    public long StatementsCompiled { get; private set; }

    /// <summary>Calls that found the shared connection in use and opened a connection of their own.</summary>
    public long FallbackConnections { get; private set; }

    protected override DbConnection CreateDbConnection() => new Lease(this);

    /// <summary>The shared connection, open, if it is free; null if another call holds it.</summary>
    private SqliteConnection? TryTakeShared()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sharedInUse)
            {
                FallbackConnections++;
                return null;
            }
            if (_shared is null)
            {
                var connection = new SqliteConnection(ConnectionString);
                connection.Open();
                _shared = connection;
            }
            _sharedInUse = true;
            return _shared;
        }
    }

    private void ReturnShared(bool broken)
    {
        lock (_gate)
        {
            _sharedInUse = false;
            // After a failure the connection may hold a half-done transaction or a statement in an odd state:
            // start over with a fresh connection rather than find out.
            if (broken || _disposed) DropShared();
        }
    }

    /// <summary>The cached command for <paramref name="sql"/> on the shared connection (held by the caller).</summary>
    private SqliteCommand CachedCommand(string sql)
    {
        lock (_gate)
        {
            if (_statements.TryGetValue(sql, out var command)) return command;
            if (_statements.Count >= MaxCachedStatements) DisposeStatements();
            command = _shared!.CreateCommand();
            command.CommandText = sql;
            _statements[sql] = command;
            StatementsCompiled++;
            return command;
        }
    }

    private void DropShared()
    {
        DisposeStatements();
        _shared?.Dispose();
        _shared = null;
    }

    private void DisposeStatements()
    {
        foreach (var command in _statements.Values) command.Dispose();
        _statements.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _disposed = true;
                if (!_sharedInUse) DropShared();
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>One Orleans call's connection: the shared one if it was free, else a pooled one of its own. A
    /// SqliteConnection only because Orleans checks that a data source makes connections of its invariant's
    /// type; the base connection is never opened, every member Orleans uses goes to the one leased.</summary>
    private sealed class Lease(StatementCachingSqliteDataSource source) : SqliteConnection
    {
        private SqliteConnection? _shared;
        private SqliteConnection? _own;
        private bool _broken;
        /// <summary>Readers handed out on this lease. A reader that is never disposed leaves its statement
        /// running, and on a connection that outlives the call a running write statement keeps SQLite's write
        /// lock (every other writer waits out its busy timeout): the lease disposes them all when it closes.</summary>
        private readonly List<SqliteDataReader> _readers = new();
        /// <summary>Commands made on a connection of the lease's own (when the shared one was in use).</summary>
        private readonly List<SqliteCommand> _ownCommands = new();

        private SqliteConnection Inner => _shared ?? _own ?? throw new InvalidOperationException("the connection is not open");

        public bool IsShared => _shared is not null;

        [AllowNull]
        public override string ConnectionString
        {
            get => source.ConnectionString;
            set
            {
                if (!string.IsNullOrEmpty(value) && value != source.ConnectionString)
                    throw new InvalidOperationException("this connection belongs to its data source and keeps its connection string");
            }
        }

        public override string Database => Inner.Database;

        public override string DataSource => new SqliteConnectionStringBuilder(source.ConnectionString).DataSource;

        public override string ServerVersion => Inner.ServerVersion;

        public override ConnectionState State => _shared is not null || _own is not null ? ConnectionState.Open : ConnectionState.Closed;

        public override void Open()
        {
            if (State == ConnectionState.Open) throw new InvalidOperationException("the connection is already open");
            _shared = source.TryTakeShared();
            if (_shared is not null) return;
            _own = new SqliteConnection(source.ConnectionString);
            _own.Open();
        }

        public override void Close()
        {
            foreach (var reader in _readers) reader.Dispose();
            _readers.Clear();
            foreach (var command in _ownCommands) command.Dispose();
            _ownCommands.Clear();
            if (_shared is not null)
            {
                // A transaction left open (neither committed nor rolled back) would catch the next caller's writes.
                var inTransaction = SQLitePCL.raw.sqlite3_get_autocommit(_shared.Handle) == 0;
                _shared = null;
                source.ReturnShared(_broken || inTransaction);
            }
            _own?.Dispose();
            _own = null;
            _broken = false;
        }

        public void Track(SqliteDataReader reader) => _readers.Add(reader);

        public override void ChangeDatabase(string databaseName) => throw new NotSupportedException("SQLite has one database per connection");

        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => Inner.BeginTransaction(isolationLevel);

        protected override DbCommand CreateDbCommand() => new Command(this);

        /// <summary>Runs <paramref name="execute"/> on the cached command for the SQL if this lease holds the shared
        /// connection, else on a new command of its own connection; a failure on the shared connection retires it.</summary>
        public T Run<T>(Command command, Func<SqliteCommand, T> execute)
        {
            SqliteCommand target;
            if (_shared is not null)
            {
                target = source.CachedCommand(command.CommandText); // its text is set once: its statements stay prepared
            }
            else
            {
                target = Inner.CreateCommand();
                target.CommandText = command.CommandText;
            }
            try
            {
                target.CommandTimeout = command.CommandTimeout;
                target.Transaction = command.Transaction as SqliteTransaction;
                target.Parameters.Clear();
                foreach (SqliteParameter parameter in command.Parameters) target.Parameters.Add(parameter);
                return execute(target);
            }
            catch
            {
                _broken |= _shared is not null;
                throw;
            }
            finally
            {
                // Not disposed here: a reader still runs on it. The lease disposes it when it closes.
                if (_shared is null) _ownCommands.Add(target);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Close();
            base.Dispose(disposing);
        }
    }

    /// <summary>What Orleans fills in (text, parameters, timeout) for one call; run on the lease's connection.</summary>
    private sealed class Command(Lease lease) : DbCommand
    {
        private readonly SqliteParameterCollection _parameters = new SqliteCommand().Parameters;

        [AllowNull]
        public override string CommandText { get; set; } = "";

        public override int CommandTimeout { get; set; } = 30;

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text) throw new NotSupportedException("SQLite runs text commands only");
            }
        }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        public override bool DesignTimeVisible { get; set; }

        protected override DbConnection? DbConnection
        {
            get => lease;
            set
            {
                if (value is not null && !ReferenceEquals(value, lease))
                    throw new InvalidOperationException("this command belongs to the connection that made it");
            }
        }

        protected override DbParameterCollection DbParameterCollection => _parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel()
        {
        }

        public override int ExecuteNonQuery() => lease.Run(this, command => command.ExecuteNonQuery());

        public override object? ExecuteScalar() => lease.Run(this, command => command.ExecuteScalar());

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            // A reader runs on the command after Run returns; a cached command is the lease's until the lease is
            // closed, which disposes the reader if Orleans has not.
            var reader = lease.Run(this, command => command.ExecuteReader(behavior & ~CommandBehavior.CloseConnection));
            lease.Track(reader);
            return reader;
        }
    }
}
