namespace Ioc.Tests.Live;

/// <summary>The rule every sender with patience follows: a few calls may be given up on, each counted until it ends.</summary>
public sealed class UnansweredCallsTests
{
    [Fact]
    public async Task Calls_given_up_on_count_until_they_end_and_past_the_most_the_next_is_awaited()
    {
        var unanswered = new UnansweredCalls();
        var calls = Enumerable.Range(0, UnansweredCalls.Most).Select(_ => new TaskCompletionSource()).ToList();
        var ended = new List<Task>();
        foreach (var call in calls)
        {
            Assert.True(unanswered.MayGiveUp);
            ended.Add(unanswered.GiveUp(call.Task));
        }
        Assert.Equal(UnansweredCalls.Most, unanswered.Count);
        Assert.False(unanswered.MayGiveUp);

        // A call that ends, answered or failed, is no longer counted, and its failure is observed here.
        calls[0].SetResult();
        await ended[0];
        calls[1].SetException(new TimeoutException("lost with its silo"));
        await ended[1];
        Assert.Equal(1, unanswered.Count);
        Assert.True(unanswered.MayGiveUp);

        calls[2].SetCanceled(Cancel);
        await ended[2];
        Assert.Equal(0, unanswered.Count);
    }
}
