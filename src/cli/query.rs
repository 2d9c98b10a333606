//! The query commands: `orders`, `spu`, `certificates`. Option names are the
//! wire names with `-`. Every query is validated before anything is sent.

use std::io::IsTerminal;

use clap::Args;
use douyin_goodlife::pagination::{Page, PageStream};
use douyin_goodlife::{CertificateQuery, Client, Error, OrderQuery, Response, SpuQuery};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{Cli, print_json, report};

#[derive(Args)]
pub struct OrdersArgs {
    /// 商户ID / merchant account id.
    #[arg(long)]
    account_id: String,
    /// 预约地id / POI id.
    #[arg(long)]
    poi_id: String,
    /// Start of the booking window, unix seconds.
    #[arg(long, allow_negative_numbers = true)]
    start_time: i64,
    /// End of the booking window (exclusive), unix seconds.
    #[arg(long, allow_negative_numbers = true)]
    end_time: i64,
    /// One booking id.
    #[arg(long)]
    book_id: Option<String>,
    /// Page number, from 1.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    page_num: i32,
    /// Page size, 1..=50.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    page_size: i32,
    /// Every order across pages, as one JSON array.
    #[arg(long, conflicts_with = "page_num")]
    all: bool,
}

#[derive(Args)]
#[group(id = "which", required = true, multiple = true, args = ["spu_id", "out_spu_id"])]
pub struct SpuArgs {
    /// 来客商户根账户ID / the merchant's root account id.
    #[arg(long, allow_negative_numbers = true)]
    account_id: i64,
    /// Douyin's SPU id.
    #[arg(long, allow_negative_numbers = true)]
    spu_id: Option<i64>,
    /// The merchant's own SPU id.
    #[arg(long)]
    out_spu_id: Option<String>,
}

#[derive(Args)]
pub struct CertificatesArgs {
    /// 商家团购账号id / the merchant's group-buying account id.
    #[arg(long)]
    account_id: String,
    /// The user's open_id.
    #[arg(long)]
    open_id: String,
    /// Only vouchers usable at this POI.
    #[arg(long)]
    poi_id: Option<String>,
    /// 1 核销工具 (default), 2 混合双开.
    #[arg(long, allow_negative_numbers = true)]
    biz_type: Option<i32>,
    /// 1 count vouchers (default), 2 count orders.
    #[arg(long, allow_negative_numbers = true)]
    page_dimension: Option<i32>,
    /// Start of the time range, unix seconds (with --end-time).
    #[arg(long, requires = "end_time", allow_negative_numbers = true)]
    start_time: Option<i64>,
    /// End of the time range, unix seconds (with --start-time).
    #[arg(long, requires = "start_time", allow_negative_numbers = true)]
    end_time: Option<i64>,
    /// Page, from 1.
    #[arg(long, allow_negative_numbers = true)]
    page: Option<i32>,
    /// Page size, 1..=50.
    #[arg(long, allow_negative_numbers = true)]
    page_size: Option<i32>,
    /// Rpc-Transit-Life-Account header: the merchant's root account, for service providers.
    #[arg(long)]
    life_account: Option<String>,
    /// Every voucher order across pages, as one JSON array.
    #[arg(long, conflicts_with = "page")]
    all: bool,
}

pub async fn orders(cli: &Cli, args: &OrdersArgs) -> u8 {
    let mut query = OrderQuery::new(
        &args.account_id,
        &args.poi_id,
        args.start_time,
        args.end_time,
    )
    .with_page_num(args.page_num)
    .with_page_size(args.page_size);
    if let Some(id) = &args.book_id {
        query = query.with_book_id(id);
    }
    let client = match checked_client(cli, query.validate()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if args.all {
        return collect_all(client.orders_stream(query).pages()).await;
    }
    answer(client.query_reservation_orders(&query).await)
}

pub async fn spu(cli: &Cli, args: &SpuArgs) -> u8 {
    let mut query = SpuQuery::new(args.account_id);
    if let Some(id) = args.spu_id {
        query = query.with_spu_id(id);
    }
    if let Some(id) = &args.out_spu_id {
        query = query.with_out_spu_id(id);
    }
    let client = match checked_client(cli, query.validate()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    answer(client.get_food_order_spu(&query).await)
}

pub async fn certificates(cli: &Cli, args: &CertificatesArgs) -> u8 {
    let mut query = CertificateQuery::new(&args.account_id, &args.open_id);
    if let Some(p) = &args.poi_id {
        query = query.with_poi_id(p);
    }
    if let Some(b) = args.biz_type {
        query = query.with_biz_type(b);
    }
    if let Some(d) = args.page_dimension {
        query = query.with_page_dimension(d);
    }
    if let (Some(s), Some(e)) = (args.start_time, args.end_time) {
        query = query.with_time_range(s, e);
    }
    if let Some(p) = args.page {
        query = query.with_page(p);
    }
    if let Some(s) = args.page_size {
        query = query.with_page_size(s);
    }
    if let Some(a) = &args.life_account {
        query = query.with_life_account(a);
    }
    let client = match checked_client(cli, query.validate()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if args.all {
        return collect_all(client.certificates_stream(query).pages()).await;
    }
    answer(client.query_user_certificates(&query).await)
}

/// Reads every page, with a progress bar on stderr when it is a terminal, and
/// prints the items as one JSON array. On an error nothing goes to stdout.
/// The client for a query that passed validation; otherwise the exit code
/// (nothing is sent for invalid input).
fn checked_client(cli: &Cli, validation: Result<(), Error>) -> Result<Client, u8> {
    if let Err(e) = validation {
        return Err(report(&e));
    }
    cli.client()
}

/// Prints one page's `data` object, or reports the error; the exit code.
fn answer<T: Serialize>(result: Result<Response<T>, Error>) -> u8 {
    match result {
        Ok(page) => print_json(page.data()),
        Err(e) => report(&e),
    }
}

async fn collect_all<T: Serialize>(mut pages: PageStream<T>) -> u8 {
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} page {msg} {bar:30} {pos}/{len} items {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(Page {
                page,
                items: got,
                count,
                total,
                ..
            }) => {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_message(page.to_string());
                bar.inc(count);
                items.extend(got);
            }
            Err(e) => {
                bar.abandon();
                return report(&e);
            }
        }
    }
    bar.finish_and_clear();
    print_json(&items)
}
