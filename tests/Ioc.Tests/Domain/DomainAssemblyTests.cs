namespace Ioc.Tests.Domain;

/// <summary>The domain stays plain: the rules can be read, run and tested with nothing but .NET itself.</summary>
public sealed class DomainAssemblyTests
{
    [Fact]
    public void The_domain_references_nothing_but_the_base_class_library()
    {
        var references = typeof(MetricRule).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.All(references, name => Assert.True(name == "netstandard" || name.StartsWith("System", StringComparison.Ordinal),
            $"Ioc.Domain references {name}; Orleans, ASP.NET and packages belong in Contracts or the hosts"));
    }
}
