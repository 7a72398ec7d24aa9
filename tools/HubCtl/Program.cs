namespace Ioc.HubCtl;

/// <summary><c>hubctl</c>: the hub's command-line tool for admins.</summary>
public static class Program
{
    /// <summary>Runs a command; the exit code is 0 on success.</summary>
    public static Task<int> Main(string[] args) => HubCtlCommands.RunAsync(args, Console.Out);
}
