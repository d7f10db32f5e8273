using System.Globalization;
using System.Xml.Linq;
using RaftOrleans.Cli.Bench;

namespace RaftOrleans.Cli.Tests.Bench;

public sealed class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(SvgChart chart) => XDocument.Parse(chart.Render());

    private static double Number(XElement element, string attribute) =>
        double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static (double Left, double Top, double Right, double Bottom) PlotArea(XDocument document)
    {
        var area = document.Descendants(Svg + "rect").Single(rect => (string?)rect.Attribute("class") == "plot-area");
        return (Number(area, "x"), Number(area, "y"), Number(area, "x") + Number(area, "width"), Number(area, "y") + Number(area, "height"));
    }

    private static List<(double X, double Y)> Points(XDocument document) => document.Descendants(Svg + "circle")
        .Where(circle => (string?)circle.Attribute("class") == "point")
        .Select(circle => (Number(circle, "cx"), Number(circle, "cy"))).ToList();

    [Fact]
    public void Every_point_lies_inside_the_plot_area_whatever_the_data()
    {
        var random = new Random(12345);
        var scattered = Enumerable.Range(0, 200).Select(_ => (random.NextDouble() * 9000 - 3000, random.NextDouble() * 4500)).ToList();
        var chart = new SvgChart("scatter", new ChartAxis("seconds"), new ChartAxis("ms"))
            .Add(new ChartSeries("ok", "#00f", scattered, Joined: false))
            .Add(new ChartBand(-0.5, 4.2, "gap", "#f00"))
            .Add(new ChartMarker(0, "kill", "#555"));

        var document = Parse(chart);
        var (left, top, right, bottom) = PlotArea(document);
        var points = Points(document);

        Assert.Equal(200, points.Count);
        Assert.All(points, point => Assert.InRange(point.X, left, right));
        Assert.All(points, point => Assert.InRange(point.Y, top, bottom));
    }

    [Fact]
    public void Larger_values_sit_further_right_and_higher_on_a_log_x_axis()
    {
        var chart = new SvgChart("throughput", new ChartAxis("clients", Logarithmic: true, Ticks: [1, 4, 16, 64]), new ChartAxis("ops/s"))
            .Add(new ChartSeries("writes", "#00f", [(1, 30), (4, 75), (16, 140), (64, 160)]));

        var document = Parse(chart);
        var points = Points(document);
        var (left, top, right, bottom) = PlotArea(document);

        Assert.Equal(4, points.Count);
        Assert.Equal(points.OrderBy(p => p.X).ToList(), points);
        Assert.Equal(points.OrderByDescending(p => p.Y).ToList(), points); // SVG y grows downwards
        // Equal ratios of x are equal distances on a log axis.
        Assert.Equal(points[1].X - points[0].X, points[2].X - points[1].X, precision: 1);
        Assert.All(points, point => Assert.True(point.X > left && point.X < right && point.Y >= top && point.Y <= bottom));
        Assert.Single(document.Descendants(Svg + "polyline"));
    }

    [Fact]
    public void Axes_carry_their_labels_ticks_and_a_legend_entry_per_series()
    {
        var chart = new SvgChart("latency <p99> & more", new ChartAxis("clients", Logarithmic: true, Ticks: [1, 4, 16, 64]), new ChartAxis("latency (ms)"))
            .Add(new ChartSeries("p50", "#00f", [(1, 2), (64, 20)]))
            .Add(new ChartSeries("p99", "#f00", [(1, 9), (64, 180)]));

        var document = Parse(chart);
        var texts = document.Descendants(Svg + "text").Select(text => text.Value).ToList();

        Assert.Contains("latency <p99> & more", texts); // escaped in the file, intact once parsed
        Assert.Contains("clients", texts);
        Assert.Contains("latency (ms)", texts);
        Assert.Contains("p50", texts);
        Assert.Contains("p99", texts);
        Assert.Contains("64", texts);
        Assert.Contains("0", texts); // a linear y axis starts at zero
        Assert.True(document.Descendants(Svg + "line").Count(line => (string?)line.Attribute("class") == "tick") >= 4 + 3);
    }

    [Fact]
    public void A_missing_figure_is_left_out_rather_than_drawn_off_the_chart()
    {
        var chart = new SvgChart("gaps", new ChartAxis("clients", Logarithmic: true), new ChartAxis("ms"))
            .Add(new ChartSeries("p50", "#00f", [(1, 5), (4, double.NaN), (0, 3), (16, 8)]));

        var points = Points(Parse(chart));

        Assert.Equal(2, points.Count);
    }

    [Fact]
    public void A_flat_series_still_gets_a_readable_axis()
    {
        var document = Parse(new SvgChart("flat", new ChartAxis("x"), new ChartAxis("y")).Add(new ChartSeries("s", "#000", [(2, 7), (2, 7)])));
        var (left, top, right, bottom) = PlotArea(document);

        Assert.All(Points(document), point => Assert.True(point.X >= left && point.X <= right && point.Y >= top && point.Y <= bottom));
    }
}
