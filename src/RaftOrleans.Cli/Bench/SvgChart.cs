using System.Globalization;
using System.Text;

namespace RaftOrleans.Cli.Bench;

/// <summary>A named set of points, drawn as markers, optionally joined by a line.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Joined = true);

/// <summary>An axis: its label, and either linear (ticks chosen at round numbers) or logarithmic (base 2,
/// ticks at <see cref="Ticks"/> or at powers of two).</summary>
public sealed record ChartAxis(string Label, bool Logarithmic = false, IReadOnlyList<double>? Ticks = null);

/// <summary>A shaded stretch of the x axis, such as the time no write succeeded.</summary>
public sealed record ChartBand(double FromX, double ToX, string Label, string Color);

/// <summary>A vertical line at one x, such as the moment a node was killed.</summary>
public sealed record ChartMarker(double X, string Label, string Color);

/// <summary>
/// A small line and scatter chart written as a self-contained SVG file: axes with ticks and labels, a legend,
/// shaded bands and vertical markers. Enough for the benchmark's three plots and nothing more; everything is
/// placed by arithmetic on a fixed canvas so the output is the same for the same data.
/// <para>The plot area is the rect with class "plot-area"; every data point is a circle with class "point"
/// inside it (the tests hold the writer to that).</para>
/// </summary>
public sealed class SvgChart(string title, ChartAxis xAxis, ChartAxis yAxis)
{
    public const double Width = 760;
    public const double Height = 440;
    private const double Left = 70, Right = 190, Top = 44, Bottom = 56;
    private const double PlotWidth = Width - Left - Right, PlotHeight = Height - Top - Bottom;

    private readonly List<ChartSeries> _series = new();
    private readonly List<ChartBand> _bands = new();
    private readonly List<ChartMarker> _markers = new();

    public SvgChart Add(ChartSeries series)
    {
        _series.Add(series);
        return this;
    }

    public SvgChart Add(ChartBand band)
    {
        _bands.Add(band);
        return this;
    }

    public SvgChart Add(ChartMarker marker)
    {
        _markers.Add(marker);
        return this;
    }

    public string Render()
    {
        var points = _series.SelectMany(series => series.Points).Where(Plottable).ToList();
        var xValues = points.Select(point => point.X).Concat(_bands.SelectMany(band => new[] { band.FromX, band.ToX })).Concat(_markers.Select(marker => marker.X));
        var x = Scale.For(xAxis, xValues.ToList(), Left, Left + PlotWidth, startAtZero: false);
        var y = Scale.For(yAxis, points.Select(point => point.Y).ToList(), Top + PlotHeight, Top, startAtZero: true);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left + PlotWidth / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        svg.Append(Invariant($"<rect class=\"plot-area\" x=\"{Left}\" y=\"{Top}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#444\"/>\n"));
        foreach (var band in _bands)
        {
            var from = x.Map(band.FromX);
            svg.Append(Invariant($"<rect class=\"band\" x=\"{F(from)}\" y=\"{Top}\" width=\"{F(Math.Max(1, x.Map(band.ToX) - from))}\" height=\"{PlotHeight}\" fill=\"{band.Color}\" fill-opacity=\"0.18\"/>\n"));
        }

        WriteTicks(svg, x, y);
        foreach (var marker in _markers)
        {
            var at = F(x.Map(marker.X));
            svg.Append(Invariant($"<line class=\"marker\" x1=\"{at}\" y1=\"{Top}\" x2=\"{at}\" y2=\"{Top + PlotHeight}\" stroke=\"{marker.Color}\" stroke-dasharray=\"5,4\" stroke-width=\"1.5\"/>\n"));
        }

        foreach (var series in _series)
        {
            var mapped = series.Points.Where(Plottable)
                .Select(point => (X: x.Map(point.X), Y: y.Map(point.Y))).ToList();
            if (series.Joined && mapped.Count > 1)
            {
                svg.Append(Invariant($"<polyline class=\"line\" fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"2\" points=\"{string.Join(" ", mapped.Select(p => $"{F(p.X)},{F(p.Y)}"))}\"/>\n"));
            }

            // Small dots only for dense scatters, where big ones would merge into a blot.
            var radius = series.Joined || mapped.Count < 20 ? 3.5 : 2;
            foreach (var point in mapped)
            {
                svg.Append(Invariant($"<circle class=\"point\" cx=\"{F(point.X)}\" cy=\"{F(point.Y)}\" r=\"{radius}\" fill=\"{series.Color}\"/>\n"));
            }
        }

        WriteLegend(svg);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>NaN marks a missing figure (a phase with no success); a log axis has no place for zero.</summary>
    private bool Plottable((double X, double Y) point) =>
        double.IsFinite(point.X) && double.IsFinite(point.Y) && (!xAxis.Logarithmic || point.X > 0) && (!yAxis.Logarithmic || point.Y > 0);

    private void WriteTicks(StringBuilder svg, Scale x, Scale y)
    {
        foreach (var tick in x.Ticks)
        {
            var at = F(x.Map(tick));
            svg.Append(Invariant($"<line class=\"tick\" x1=\"{at}\" y1=\"{Top + PlotHeight}\" x2=\"{at}\" y2=\"{Top + PlotHeight + 5}\" stroke=\"#444\"/>\n"));
            svg.Append(Invariant($"<text x=\"{at}\" y=\"{Top + PlotHeight + 18}\" text-anchor=\"middle\">{Label(tick)}</text>\n"));
        }

        foreach (var tick in y.Ticks)
        {
            var at = F(y.Map(tick));
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{Left}\" y1=\"{at}\" x2=\"{Left + PlotWidth}\" y2=\"{at}\" stroke=\"#ddd\"/>\n"));
            svg.Append(Invariant($"<line class=\"tick\" x1=\"{Left - 5}\" y1=\"{at}\" x2=\"{Left}\" y2=\"{at}\" stroke=\"#444\"/>\n"));
            svg.Append(Invariant($"<text x=\"{Left - 8}\" y=\"{at}\" dy=\"4\" text-anchor=\"end\">{Label(tick)}</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{Left + PlotWidth / 2}\" y=\"{Height - 14}\" text-anchor=\"middle\">{Escape(xAxis.Label)}</text>\n"));
        var middle = Top + PlotHeight / 2;
        svg.Append(Invariant($"<text x=\"18\" y=\"{middle}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {middle})\">{Escape(yAxis.Label)}</text>\n"));
    }

    private void WriteLegend(StringBuilder svg)
    {
        var x = Left + PlotWidth + 16;
        var y = Top + 8;
        foreach (var series in _series)
        {
            svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 22}\" y2=\"{y}\" stroke=\"{series.Color}\" stroke-width=\"{(series.Joined ? 2 : 0)}\"/>\n"));
            svg.Append(Invariant($"<circle cx=\"{x + 11}\" cy=\"{y}\" r=\"3.5\" fill=\"{series.Color}\"/>\n"));
            svg.Append(Invariant($"<text x=\"{x + 30}\" y=\"{y}\" dy=\"4\">{Escape(series.Name)}</text>\n"));
            y += 20;
        }

        foreach (var band in _bands)
        {
            svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y - 7}\" width=\"22\" height=\"14\" fill=\"{band.Color}\" fill-opacity=\"0.18\"/>\n"));
            svg.Append(Invariant($"<text x=\"{x + 30}\" y=\"{y}\" dy=\"4\">{Escape(band.Label)}</text>\n"));
            y += 20;
        }

        foreach (var marker in _markers)
        {
            svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 22}\" y2=\"{y}\" stroke=\"{marker.Color}\" stroke-dasharray=\"5,4\" stroke-width=\"1.5\"/>\n"));
            svg.Append(Invariant($"<text x=\"{x + 30}\" y=\"{y}\" dy=\"4\">{Escape(marker.Label)}</text>\n"));
            y += 20;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Label(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Maps data values onto one pixel range, and knows where its ticks go.</summary>
    private sealed class Scale
    {
        private readonly Func<double, double> _transform;
        private readonly double _low, _high, _fromPixel, _toPixel;

        private Scale(Func<double, double> transform, double low, double high, double fromPixel, double toPixel, IReadOnlyList<double> ticks)
        {
            _transform = transform;
            _low = transform(low);
            _high = transform(high);
            _fromPixel = fromPixel;
            _toPixel = toPixel;
            Ticks = ticks;
        }

        public IReadOnlyList<double> Ticks { get; }

        public double Map(double value) => _fromPixel + (_transform(value) - _low) / (_high - _low) * (_toPixel - _fromPixel);

        public static Scale For(ChartAxis axis, IReadOnlyList<double> values, double fromPixel, double toPixel, bool startAtZero)
        {
            return axis.Logarithmic
                ? Logarithmic(axis, values.Where(value => value > 0).ToList(), fromPixel, toPixel)
                : Linear(values, fromPixel, toPixel, startAtZero);
        }

        private static Scale Linear(IReadOnlyList<double> values, double fromPixel, double toPixel, bool startAtZero)
        {
            var min = values.Count > 0 ? values.Min() : 0;
            var max = values.Count > 0 ? values.Max() : 1;
            if (startAtZero && min > 0)
            {
                min = 0;
            }

            if (max - min <= 0)
            {
                max = min + 1;
            }

            var step = NiceStep((max - min) / 5);
            var low = Math.Floor(min / step) * step;
            var high = Math.Ceiling(max / step) * step;
            var count = (int)Math.Round((high - low) / step);
            var ticks = Enumerable.Range(0, count + 1).Select(i => Math.Round(low + i * step, 10)).ToList();
            return new Scale(value => value, low, high, fromPixel, toPixel, ticks);
        }

        private static Scale Logarithmic(ChartAxis axis, IReadOnlyList<double> values, double fromPixel, double toPixel)
        {
            var min = values.Count > 0 ? values.Min() : 1;
            var max = values.Count > 0 ? values.Max() : 2;
            var ticks = axis.Ticks?.Where(tick => tick > 0).ToList()
                ?? Enumerable.Range((int)Math.Floor(Math.Log2(min)), (int)Math.Ceiling(Math.Log2(max)) - (int)Math.Floor(Math.Log2(min)) + 1)
                    .Select(power => Math.Pow(2, power)).ToList();
            // A little room on both ends, so markers at the ends are not cut by the frame.
            var low = Math.Min(min, ticks.DefaultIfEmpty(min).Min()) / 1.25;
            var high = Math.Max(max, ticks.DefaultIfEmpty(max).Max()) * 1.25;
            return new Scale(Math.Log2, low, high, fromPixel, toPixel, ticks);
        }

        /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="rough"/>.</summary>
        private static double NiceStep(double rough)
        {
            var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            var fraction = rough / power;
            return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
        }
    }
}
