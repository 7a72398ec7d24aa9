namespace Ioc.Tests.Infrastructure;

/// <summary>The shared <see cref="Postgres"/> server as an xunit class fixture: started before a class's first test.</summary>
public sealed class PostgresServer : Postgres, IAsyncLifetime;
