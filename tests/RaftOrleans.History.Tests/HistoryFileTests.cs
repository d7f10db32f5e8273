using RaftOrleans.History;

namespace RaftOrleans.History.Tests;

public sealed class HistoryFileTests
{
    [Theory]
    [InlineData("""{"process":3,"type":"invoke","f":"put","key":"k1","value":"v17","time":123456789}""")]
    [InlineData("""{"process":3,"type":"ok","f":"put","key":"k1","value":"v17","time":123456999}""")]
    [InlineData("""{"process":4,"type":"invoke","f":"get","key":"k1","time":5}""")]
    [InlineData("""{"process":4,"type":"ok","f":"get","key":"k1","value":"v17","time":6}""")]
    [InlineData("""{"process":4,"type":"ok","f":"get","key":"k1","value":null,"time":6}""")]
    [InlineData("""{"process":4,"type":"info","f":"get","key":"k1","time":6}""")]
    [InlineData("""{"process":5,"type":"invoke","f":"cas","key":"k1","expected":"v16","value":"v17","time":7}""")]
    [InlineData("""{"process":5,"type":"fail","f":"cas","key":"k1","expected":null,"value":"v17","time":8}""")]
    [InlineData("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":true,"time":8}""")]
    [InlineData("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":false,"seen":"v15","time":8}""")]
    [InlineData("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":false,"seen":null,"time":8}""")]
    public void Lines_round_trip_exactly(string line)
    {
        var parsed = HistoryJson.Parse(line, 1);

        Assert.Equal(line, HistoryJson.Format(parsed));
    }

    [Fact]
    public void Parsed_fields_mean_what_the_format_says()
    {
        var cas = HistoryJson.Parse("""{"process":5,"type":"invoke","f":"cas","key":"k1","expected":"v16","value":"v17","time":7}""", 1);
        var absentRead = HistoryJson.Parse("""{"process":4,"type":"ok","f":"get","key":"k1","value":null,"time":6}""", 1);

        Assert.Equal(new HistoryEvent(5, HistoryEventType.Invoke, HistoryFunction.Cas, "k1", "v17", "v16", 7), cas);
        Assert.Equal(HistoryEventType.Ok, absentRead.Type);
        Assert.Null(absentRead.Value);
    }

    [Fact]
    public void A_refused_cas_carries_what_it_found()
    {
        var refused = HistoryJson.Parse("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":false,"seen":"v15","time":8}""", 1);
        var refusedAbsent = HistoryJson.Parse("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":false,"seen":null,"time":8}""", 1);

        Assert.Equal((true, "v15", "v17", "v16"), (refused.Refused, refused.Seen, refused.Value, refused.Expected));
        Assert.Equal((true, (string?)null), (refusedAbsent.Refused, refusedAbsent.Seen));
    }

    [Fact]
    public void Files_written_before_swapped_existed_mean_what_they_meant()
    {
        // Then an ok cas always swapped and a refused one was a fail.
        var swapped = HistoryJson.Parse("""{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","time":8}""", 1);
        var refused = HistoryJson.Parse("""{"process":5,"type":"fail","f":"cas","key":"k1","expected":"v16","value":"v17","time":8}""", 1);

        Assert.Equal((HistoryEventType.Ok, false), (swapped.Type, swapped.Refused));
        Assert.Equal((HistoryEventType.Fail, false), (refused.Type, refused.Refused));
    }

    [Theory]
    [InlineData("""not json""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"process":1,"type":"invoke","f":"put","key":"k","time":1}""")] // put without value
    [InlineData("""{"process":1,"type":"invoke","f":"cas","key":"k","value":"v","time":1}""")] // cas without expected
    [InlineData("""{"process":1,"type":"ok","f":"get","key":"k","time":1}""")] // ok get without value
    [InlineData("""{"process":1,"type":"done","f":"get","key":"k","time":1}""")]
    [InlineData("""{"process":1,"type":"invoke","f":"delete","key":"k","time":1}""")]
    [InlineData("""{"process":"one","type":"invoke","f":"get","key":"k","time":1}""")]
    [InlineData("""{"type":"invoke","f":"get","key":"k","time":1}""")]
    [InlineData("""{"process":1,"type":"ok","f":"cas","key":"k","expected":"a","value":"b","swapped":false,"time":1}""")] // refused without seen
    [InlineData("""{"process":1,"type":"ok","f":"cas","key":"k","expected":"a","value":"b","swapped":"no","time":1}""")]
    public void Malformed_lines_name_their_line(string line)
    {
        var error = Assert.Throws<HistoryFormatException>(() => HistoryJson.ReadAll(new StringReader("\n" + line)));

        Assert.StartsWith("line 2:", error.Message);
    }

    [Fact]
    public void Recorder_writes_lines_that_read_back_as_its_events()
    {
        var text = new StringWriter();
        using (var recorder = new HistoryRecorder(text))
        {
            recorder.RecordInvoke(1, HistoryOperation.Put("k", "v1"));
            recorder.RecordInvoke(2, HistoryOperation.Get("k"));
            recorder.RecordOk(1);
            recorder.RecordOk(2, "v1");
            recorder.RecordInvoke(1, HistoryOperation.Cas("k", "v1", "v2"));
            recorder.RecordInfo(1);
            recorder.RecordInvoke(2, HistoryOperation.Get("k"));
            recorder.RecordFail(2);
            recorder.RecordInvoke(2, HistoryOperation.Cas("k", "v0", "v3"));
            recorder.RecordCasRefused(2, "v1");
            recorder.RecordInvoke(2, HistoryOperation.Get("k2"));
            recorder.RecordOk(2, null);

            var readBack = HistoryJson.ReadAll(new StringReader(text.ToString()));

            Assert.Equal(recorder.Events, readBack);
        }
        var events = HistoryJson.ReadAll(new StringReader(text.ToString()));
        Assert.Equal(12, events.Count);
        Assert.Equal("v1", events[3].Value);
        Assert.Null(events[7].Value);
        Assert.Equal(("v1", "v2"), (events[5].Expected, events[5].Value));
        Assert.Equal((HistoryEventType.Ok, true, "v1", "v3"), (events[9].Type, events[9].Refused, events[9].Seen, events[9].Value));
        Assert.Equal((HistoryEventType.Ok, (string?)null), (events[11].Type, events[11].Value));
    }

    [Fact]
    public void Recorder_is_safe_under_concurrent_processes_and_keeps_time_order()
    {
        var recorder = new HistoryRecorder(new StringWriter());
        Parallel.For(0, 8, process =>
        {
            for (var i = 0; i < 500; i++)
            {
                recorder.RecordInvoke(process, HistoryOperation.Put($"k{i % 3}", $"v{process}-{i}"));
                recorder.RecordOk(process);
            }
        });

        var events = recorder.Events;

        Assert.Equal(8_000, events.Count);
        Assert.True(events.Zip(events.Skip(1)).All(pair => pair.First.TimeNs <= pair.Second.TimeNs));
    }

    [Fact]
    public void Recorder_refuses_a_second_operation_in_flight_and_a_completion_without_one()
    {
        var recorder = new HistoryRecorder();
        recorder.RecordInvoke(1, HistoryOperation.Get("k"));

        Assert.Throws<InvalidOperationException>(() => recorder.RecordInvoke(1, HistoryOperation.Get("k")));
        Assert.Throws<InvalidOperationException>(() => recorder.RecordOk(2));
        Assert.Throws<InvalidOperationException>(() => recorder.RecordCasRefused(1, null)); // a get is in flight
    }
}
