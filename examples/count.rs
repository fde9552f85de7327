//! The library in a few lines: fetch a URL and count a string in it.
//!
//! Run with: `cargo run --example count [URL] [NEEDLE]`
//!
//! Without a URL it starts a small local server and counts there, so it
//! runs anywhere; give it a URL (e.g. `https://dotnetfoundation.org`) to
//! count on the network.

mod support;

fn main() -> Result<(), netcount::Error> {
    let mut args = std::env::args().skip(1);
    let url = match args.next() {
        Some(url) => url,
        None => {
            let addr = support::serve_page(b"<p>.NET is .NET</p>".to_vec());
            format!("http://{addr}/")
        }
    };
    let needle = args.next().unwrap_or_else(|| ".NET".into());

    // The whole job: parse, connect, GET, stream the body through a Counter.
    let report = smol::block_on(netcount::count(&url, &needle))?;

    println!(
        "{} x {needle:?} in {} bytes from {}",
        report.count, report.bytes, report.final_url
    );
    Ok(())
}
