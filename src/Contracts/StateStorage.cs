namespace Ioc.Contracts;

/// <summary>Names of the hub's Orleans providers.</summary>
public static class StateStorage
{
    /// <summary>Grain storage for unit values, targets and alerts.</summary>
    public const string Name = "state";
}
