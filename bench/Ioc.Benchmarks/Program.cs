using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Ioc.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Ioc.Benchmarks.LineProtocolParsing).Assembly).Run(args);
