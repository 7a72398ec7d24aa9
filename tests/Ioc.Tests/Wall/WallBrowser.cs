namespace Ioc.Tests.Wall;

/// <summary>The shared <see cref="Chromium"/> as an xunit class fixture: launched before a class's first test.</summary>
public sealed class WallBrowser : Chromium, IAsyncLifetime;
