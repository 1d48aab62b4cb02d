//! The SVG chart of ingest time against messages synced.

use std::path::Path;

use plotters::prelude::*;

/// `points`: (messages, seconds) of the API path and of the linear extrapolation from the
/// smallest run.
pub fn ingest_chart(path: &Path, points: &[(f64, f64)]) -> anyhow::Result<()> {
    let Some(&(n0, t0)) = points.first() else {
        return Ok(());
    };
    let max_n = points.iter().map(|p| p.0).fold(0.0, f64::max) * 1.05;
    let max_t = points
        .iter()
        .map(|p| p.1.max(p.0 / n0 * t0))
        .fold(0.0, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "msgsync: full resync time against messages synced",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..max_n, 0.0..max_t)?;
    chart
        .configure_mesh()
        .x_desc("messages")
        .y_desc("seconds")
        .draw()?;
    chart
        .draw_series(LineSeries::new(points.iter().copied(), &BLUE))?
        .label("measured (API, sandbox LinkedIn)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|&(n, _)| (n, n / n0 * t0)),
            &RED,
        ))?
        .label("linear from the smallest run")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()?;
    root.present()?;
    Ok(())
}
