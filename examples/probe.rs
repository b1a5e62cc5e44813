use std::time::Instant;
use bulk_signup::check_stage::{self, RowChecker};
use bulk_signup::input::{self, Format};
use bulk_signup::mapping::Mapping;
use bulk_signup::pool::PoolDescription;
use bulk_signup::validate::{Checker, PoolRules};

fn parse_all() -> (Vec<bulk_signup::read_ahead::RowBatch>, std::sync::Arc<bulk_signup::input::Columns>) {
    let path = std::path::Path::new("/tmp/large.csv");
    let mut source = input::open(path, Format::Csv).unwrap();
    let first = source.next();
    let columns = source.columns();
    let mut ra = bulk_signup::read_ahead::start(first, source, 1).unwrap();
    let lane = ra.lanes.pop().unwrap();
    (lane.iter().collect(), columns)
}

fn main() {
    let pool = PoolRules::new(PoolDescription::load(std::path::Path::new("samples/pool.json")).unwrap());
    for _ in 0..5 {
        let t = Instant::now();
        let (batches, columns) = parse_all();
        let parse = t.elapsed();
        let mapping = Mapping::by_header([]);
        let compiled = mapping.compile(columns).unwrap();
        let setup = RowChecker { mapping, compiled, checker: Checker::new(Some(pool.clone())), dry_run: true };
        let (tx, rx) = std::sync::mpsc::sync_channel(batches.len());
        let n = batches.len();
        for b in batches { tx.send(b).unwrap(); }
        drop(tx);
        let t = Instant::now();
        let stage = check_stage::start(vec![rx], &setup).unwrap();
        let mut got = 0;
        for r in stage.lanes[0].iter() { let b = r.unwrap(); got += b.verdicts.len(); drop(b); }
        println!("parse {parse:?}  check {:?} ({n} batches, {got} rows)", t.elapsed());
    }
}
