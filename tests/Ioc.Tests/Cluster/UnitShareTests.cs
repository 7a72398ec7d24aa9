using System.Net;
using Ioc.Silo.Hosting;

namespace Ioc.Tests.Cluster;

/// <summary>
/// The rule that spreads units over the silos of a real cluster (<see cref="UnitShare"/>): every silo gets a share,
/// and a silo that joins takes units only for itself, so that start-up moves as few units as it can.
/// </summary>
public sealed class UnitShareTests
{
    private static readonly string[] Units = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"))
        .Entities.Where(e => e.Kind == EntityKind.Unit).Select(e => e.Id).ToArray();

    private static SiloAddress Silo(int port) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 155286656);

    [Fact]
    public void A_silo_alone_is_home_to_nothing_in_particular()
    {
        Assert.All(Units, u => Assert.Null(UnitShare.HomeOf(u, [Silo(11111)])));
    }

    [Fact]
    public void Every_silo_of_three_is_home_to_a_share_of_the_units_and_every_silo_agrees_which()
    {
        SiloAddress[] silos = [Silo(11111), Silo(11112), Silo(11113)];
        var homes = Units.Select(u => UnitShare.HomeOf(u, silos)).ToArray();
        // The order a silo lists the others in changes nothing.
        Assert.Equal(homes, Units.Select(u => UnitShare.HomeOf(u, [.. silos.Reverse()])));
        foreach (var silo in silos)
            Assert.InRange(homes.Count(h => h == silo), Units.Length / 6, Units.Length / 2);
    }

    [Fact]
    public void A_joining_silo_takes_units_only_for_itself()
    {
        SiloAddress[] before = [Silo(11111), Silo(11112)];
        var joining = Silo(11113);
        var moved = Units.Where(u => UnitShare.HomeOf(u, before) != UnitShare.HomeOf(u, [.. before, joining])).ToArray();
        Assert.NotEmpty(moved);
        Assert.All(moved, u => Assert.Equal(joining, UnitShare.HomeOf(u, [.. before, joining])));
    }
}
