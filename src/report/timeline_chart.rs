//! The chart of a `--timeline FILE.svg`: requests per second over the run
//! (accepted, throttled, and the pacing rate where there is one) above a
//! panel of the requests in flight, drawn by `plotters` into an SVG. Also
//! draws a timeline CSV (this tool's, or any with the same column names:
//! the rate-control bench draws its boto3 script's with it), so charts of
//! different clients look alike.

use std::path::Path;

use anyhow::Context;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// In every chart this tool draws (an XML comment), so `--resume` knows a
/// chart it may replace.
pub(crate) const MARKER: &str = "bulk-signup timeline";

const SIZE: (u32, u32) = (960, 600);
/// Height of the upper (rate) panel; the rest shows the requests in flight.
const RATE_PANEL: u32 = 420;
const FONT: &str = "sans-serif";

/// One second of a run, as drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The end of the second, from the start of the run.
    pub seconds: f64,
    pub sent: f64,
    pub accepted: f64,
    pub throttled: f64,
    /// Requests awaiting their answer at the end of the second, if known.
    pub in_flight: Option<f64>,
    /// The client's pacing rate at the end of the second, if it has one.
    pub rate: Option<f64>,
}

/// The chart of `points` as an SVG document.
pub(crate) fn render(points: &[Point], title: &str) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(title, (FONT, 20)).map_err(drawing)?;
        let (upper, lower) = root.split_vertically(RATE_PANEL);
        draw_rates(&upper, points)?;
        draw_in_flight(&lower, points)?;
        root.present().map_err(drawing)?;
    }
    // After the root element's opening tag: the file still starts with `<svg`.
    let marked = match svg.find('>') {
        Some(end) => format!("{}<!-- {MARKER} -->{}", &svg[..=end], &svg[end + 1..]),
        None => svg,
    };
    Ok(marked)
}

/// Reads a timeline CSV (columns by name: `elapsed_seconds`, `sent`,
/// `accepted`, `throttled`; `in_flight` and `pacing_rate` when present and
/// not empty) and writes its chart to `svg`.
pub fn draw_csv(csv: &Path, svg: &Path, title: &str) -> anyhow::Result<()> {
    let points = read_csv(csv).with_context(|| format!("reading {}", csv.display()))?;
    let chart = render(&points, title)?;
    std::fs::write(svg, chart).with_context(|| format!("writing {}", svg.display()))
}

fn read_csv(path: &Path) -> anyhow::Result<Vec<Point>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| column(name).with_context(|| format!("no column {name}"));
    let (seconds, sent) = (need("elapsed_seconds")?, need("sent")?);
    let (accepted, throttled) = (need("accepted")?, need("throttled")?);
    let (in_flight, rate) = (column("in_flight"), column("pacing_rate"));
    let mut points = Vec::new();
    for record in reader.records() {
        let record = record?;
        let value = |i: usize| -> Option<f64> { record.get(i)?.trim().parse().ok() };
        let number = |i: usize| value(i).with_context(|| format!("not a number in {record:?}"));
        points.push(Point {
            seconds: number(seconds)?,
            sent: number(sent)?,
            accepted: number(accepted)?,
            throttled: number(throttled)?,
            in_flight: in_flight.and_then(value),
            rate: rate.and_then(value),
        });
    }
    Ok(points)
}

fn drawing<E: std::error::Error + Send + Sync>(error: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the timeline chart: {error}")
}

/// Reads one line's figure from a point (`None`: the point has none).
type Figure = fn(&Point) -> Option<f64>;

/// The last second, for the x axis (at least 5: its labels are whole numbers).
fn x_end(points: &[Point]) -> f64 {
    points.iter().map(|p| p.seconds).fold(5.0, f64::max)
}

/// A y axis reaching above `top` by `headroom`, and at least to 5 (its
/// labels are whole numbers).
fn y_end(top: f64, headroom: f64) -> f64 {
    (top * headroom).max(5.0)
}

/// A chart panel on `area`: seconds from 0 to `x_end` across, 0 to `y_end`
/// up, with room for the axis labels; both panels share its layout.
fn panel<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    x_end: f64,
    y_end: f64,
) -> anyhow::Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x_end, 0.0..y_end)
        .map_err(drawing)
}

/// Whole seconds and requests: no decimals on the axes.
fn whole(value: &f64) -> String {
    format!("{value:.0}")
}

/// Upper panel: accepted/s, throttled/s and the pacing rate.
fn draw_rates(area: &DrawingArea<SVGBackend, Shift>, points: &[Point]) -> anyhow::Result<()> {
    let top = points
        .iter()
        .map(|p| p.accepted.max(p.throttled).max(p.rate.unwrap_or(0.0)))
        .fold(0.0, f64::max);
    // Room at the top for the legend.
    let mut chart = panel(area, x_end(points), y_end(top, 1.35))?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("requests per second")
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .label_style((FONT, 13))
        .draw()
        .map_err(drawing)?;
    let series: [(&str, RGBColor, Figure); 3] = [
        ("accepted/s", RGBColor(0, 140, 60), |p| Some(p.accepted)),
        ("throttled/s", RGBColor(210, 40, 40), |p| Some(p.throttled)),
        ("pacing rate", RGBColor(30, 90, 200), |p| p.rate),
    ];
    for (label, color, value) in series {
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|p| Some((p.seconds, value(p)?)))
            .collect();
        if line.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))
            .map_err(drawing)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)
}

/// Lower panel: requests in flight, when the timeline has them.
fn draw_in_flight(area: &DrawingArea<SVGBackend, Shift>, points: &[Point]) -> anyhow::Result<()> {
    let line: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((p.seconds, p.in_flight?)))
        .collect();
    let top = line.iter().map(|(_, y)| *y).fold(0.0, f64::max);
    let mut chart = panel(area, x_end(points), y_end(top, 1.1))?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("in flight")
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .y_labels(4)
        .label_style((FONT, 13))
        .draw()
        .map_err(drawing)?;
    chart
        .draw_series(LineSeries::new(line, BLACK.stroke_width(1)))
        .map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_without_the_optional_columns_draws_without_their_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("boto3.csv");
        std::fs::write(
            &csv,
            "elapsed_seconds,sent,accepted,throttled,retries\n1,60,50,10,10\n2,55,50,5,5\n",
        )
        .expect("write");
        let svg = dir.path().join("boto3.svg");
        draw_csv(&csv, &svg, "boto3 adaptive").expect("draw");
        let text = std::fs::read_to_string(&svg).expect("svg");
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
        assert!(text.contains(MARKER) && text.contains("boto3 adaptive"));
        assert!(text.contains("accepted/s") && text.contains("throttled/s"));
        assert!(
            !text.contains("pacing rate"),
            "no rate column, no rate line"
        );
    }

    #[test]
    fn a_csv_without_a_needed_column_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "elapsed_seconds,sent\n1,2\n").expect("write");
        let err = draw_csv(&csv, &dir.path().join("t.svg"), "t").expect_err("refused");
        assert!(format!("{err:#}").contains("no column accepted"), "{err:#}");
    }
}
