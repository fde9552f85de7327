//! The library does not need smol's executor: any executor can poll it.
//!
//! Run with: `cargo run --example any_executor`
//!
//! Here the future is driven by `futures_lite::future::block_on`, the
//! simplest possible executor: it polls on the current thread and parks it
//! between wake-ups. Sockets and timers still work because async-io's
//! reactor (which waits on the OS for readiness and fires the wakers) runs
//! on its own helper thread when no async-io `block_on` drives it.

mod support;

use netcount::{url::Url, Client, Counter};

fn main() -> Result<(), netcount::Error> {
    let addr = support::serve_page(support::page(1 << 20, 1000));
    let url = Url::parse(&format!("http://{addr}/"))?;
    let mut counter = Counter::new(".NET")?;
    let client = Client::new();

    // No smol here: a generic single-future executor.
    let report = futures_lite::future::block_on(client.count(&url, &mut counter))?;

    assert_eq!(report.count, (1 << 20) / 1000);
    println!(
        "{} occurrences, counted without smol's executor",
        report.count
    );
    Ok(())
}
