using System.Globalization;
using System.Text;
using InfluxDB.Client.Core.Exceptions;

namespace Ioc.TimeSeries;

/// <summary>
/// Batches the store refused, set aside as line-protocol files in <c>dead-letter/</c> under the data
/// directory, so an operator can read why, fix the cause and replay them (each file is a valid write body;
/// its first lines are <c>#</c> comments naming the reason and the precision).
/// </summary>
public sealed class DeadLetters
{
    private readonly string _directory;
    private long _count;

    /// <summary>Uses <paramref name="directory"/>, counting the batches already there.</summary>
    public DeadLetters(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        _count = Directory.EnumerateFiles(directory, "*.lp").LongCount();
    }

    /// <summary>Where the files are.</summary>
    public string DirectoryPath => _directory;

    /// <summary>Batches set aside, including those from earlier runs not yet removed by an operator.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Writes <paramref name="batch"/> to a new file durably; returns its path.</summary>
    public string Put(PointBatch batch, LineProtocolFormatter formatter, Exception reason, DateTimeOffset now)
    {
        var text = batch.ToLineProtocol(formatter);
        var status = reason is HttpException http ? http.Status.ToString(CultureInfo.InvariantCulture) : "-";
        var message = reason.Message.ReplaceLineEndings(" ");
        var body = new StringBuilder(text.Length + 256)
            .Append("# refused by the time-series store at ").Append(now.ToString("O", CultureInfo.InvariantCulture))
            .Append(" with status ").Append(status).Append(": ").Append(message).Append('\n')
            .Append("# precision=").Append(batch.Precision.ToString().ToLowerInvariant())
            .Append(" points=").Append(batch.Count.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(text).Append('\n')
            .ToString();
        var name = $"{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{batch.ConfirmOffset.ToString("D20", CultureInfo.InvariantCulture)}.lp";
        var path = Path.Combine(_directory, name);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(body));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        Interlocked.Increment(ref _count);
        return path;
    }
}
