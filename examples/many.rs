//! Many URLs at once, at most N in flight: the C# guide's `Task.WhenAll`.
//!
//! Run with: `cargo run --example many [CONCURRENCY]`
//!
//! The C# version starts a task per URL and awaits `Task.WhenAll(tasks)`.
//! Here each URL becomes a task on one smol executor; a semaphore bounds how
//! many fetch at once (so 10,000 URLs do not open 10,000 sockets), and the
//! results are awaited in input order, which is what `WhenAll` returns.

mod support;

use std::sync::Arc;

use netcount::{url::Url, Client, Counter};
use smol::lock::Semaphore;

fn main() {
    let concurrency: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);

    // Twenty local "sites", like the guide's list of twenty URLs.
    let urls: Vec<String> = (1..=20)
        .map(|i| {
            let addr = support::serve_page(support::page(i * 10_000, 1000));
            format!("http://{addr}/page{i}")
        })
        .collect();

    let client = Client::new();
    let permits = Arc::new(Semaphore::new(concurrency));
    let executor = smol::LocalExecutor::new();
    let total = smol::block_on(executor.run(async {
        // Start every fetch; each waits for a permit before connecting.
        let tasks: Vec<_> = urls
            .iter()
            .map(|url| {
                let (client, permits, url) = (client.clone(), permits.clone(), url.clone());
                executor.spawn(async move {
                    let _permit = permits.acquire().await;
                    let mut counter = Counter::new(".NET")?;
                    client.count(&Url::parse(&url)?, &mut counter).await
                })
            })
            .collect();

        // "WhenAll": await the results in input order.
        let mut total = 0;
        for (url, task) in urls.iter().zip(tasks) {
            match task.await {
                Ok(report) => {
                    println!("{}\t{url}", report.count);
                    total += report.count;
                }
                Err(error) => eprintln!("{url}: {error}"),
            }
        }
        total
    }));
    println!("{total}\ttotal");
    assert_eq!(total, (1..=20).map(|i| i * 10).sum::<u64>());
}
