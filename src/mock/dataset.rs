//! The sandbox's deterministic, seeded dataset.
//!
//! The identifiers are fixed (see [`sample`](super::sample)); the seed decides
//! everything else (how many orders a day, who booked, what, at what time), so
//! two servers started with the same seed answer byte-for-byte the same data.
//!
//! Shape (default seed):
//! - 3 merchants, 4 POIs;
//! - November 2024 (China time): 30–90 reservation orders a day per POI, and
//!   100–160 a day at the first POI ([`sample::POI_ID`](super::sample::POI_ID)), about
//!   seven thousand orders in all, every documented field filled and
//!   `industry_info_list` holding real JSON in `attr_value`;
//! - 4 food-ordering SPUs per merchant, with cup, sugar and temperature sale
//!   attribute groups;
//! - 3 users per merchant with voucher orders of every documented kind
//!   (group-buying set meals, cash vouchers with a dynamic face value, times
//!   cards with ladder prices; off-peak, locked and gifted vouchers among them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::types::{
    BookedProduct, BookingInfo, BookingUserInfo, Certificate, CertificateAmount, CertificateOrder,
    CertificateSkuInfo, DailyTimeRange, DynamicParRule, DynamicParRuleItem, FoodOrderSpu, ImageRef,
    IndustryInfo, KeyVal, LadderTimesCard, LockInfoExtra, OffPeakDiscountDetail, OffPeakTime,
    ReservationOrder, SaleAttrGroup, SaleAttrImage, SaleAttrItem, SpuImages, TimesCardInfo,
    UseTimePeriod, VoucherInfo,
};

use super::sample;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Days of the dataset's month.
const DAYS: i64 = 30;

/// The default seed of [`MockServer::start`](super::MockServer::start).
pub const DEFAULT_SEED: u64 = 20_241_130;

/// Everything the sandbox serves. Built once per seed and process, then shared
/// read-only by every server with that seed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Dataset {
    /// The seed it was generated from.
    pub seed: u64,
    /// The merchants, the first being [`sample::ACCOUNT_ID`](super::sample::ACCOUNT_ID).
    pub merchants: Vec<Merchant>,
}

/// A merchant (来客商户) with its POIs, SPUs and users.
#[derive(Debug)]
#[non_exhaustive]
pub struct Merchant {
    /// The account id, a numeric string (also the root account id of the SPU
    /// endpoint, as an integer).
    pub account_id: String,
    /// A display name.
    pub name: String,
    /// The merchant's POIs (stores), each with its reservation orders.
    pub pois: Vec<Poi>,
    /// Food-ordering SPUs.
    pub spus: Vec<FoodOrderSpu>,
    /// Users holding vouchers of this merchant.
    pub users: Vec<User>,
}

/// A POI (store) and its reservation orders.
#[derive(Debug)]
#[non_exhaustive]
pub struct Poi {
    /// The POI id.
    pub poi_id: String,
    /// A display name.
    pub name: String,
    /// Reservation orders, sorted by `book_time` then `book_id`.
    pub orders: Vec<ReservationOrder>,
}

/// A user (open_id) and the voucher orders they hold at one merchant.
#[derive(Debug)]
#[non_exhaustive]
pub struct User {
    /// The user's open_id.
    pub open_id: String,
    /// Voucher orders, newest first.
    pub orders: Vec<VoucherOrder>,
}

/// A voucher order as served, plus the POI its vouchers are usable at.
#[derive(Debug)]
#[non_exhaustive]
pub struct VoucherOrder {
    /// The order as the API answers it.
    pub order: CertificateOrder,
    /// The POI the vouchers can be used at (`poi_id` filter).
    pub poi_id: String,
}

impl Dataset {
    /// The dataset for `seed`, generated on first use and cached for the life
    /// of the process.
    pub fn for_seed(seed: u64) -> Arc<Dataset> {
        static CACHE: OnceLock<Mutex<HashMap<u64, Arc<Dataset>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(seed)
            .or_insert_with(|| Arc::new(Dataset::generate(seed)))
            .clone()
    }

    /// The merchant with this account id.
    pub fn merchant(&self, account_id: &str) -> Option<&Merchant> {
        self.merchants.iter().find(|m| m.account_id == account_id)
    }

    /// Number of reservation orders in the whole dataset.
    pub fn order_count(&self) -> usize {
        self.merchants
            .iter()
            .flat_map(|m| &m.pois)
            .map(|p| p.orders.len())
            .sum()
    }

    /// Number of vouchers (certificates) in the whole dataset.
    pub fn certificate_count(&self) -> usize {
        self.merchants
            .iter()
            .flat_map(|m| &m.users)
            .flat_map(|u| &u.orders)
            .map(|o| o.order.certificates.len())
            .sum()
    }

    fn generate(seed: u64) -> Dataset {
        let specs = merchant_specs();
        let mut book_seq = 0u64;
        let merchants = specs
            .iter()
            .enumerate()
            .map(|(mi, spec)| {
                let mut rng = Rng::new(seed ^ (0x9E37_79B9 * (mi as u64 + 1)));
                let pois = spec
                    .pois
                    .iter()
                    .enumerate()
                    .map(|(pi, (poi_id, poi_name))| {
                        let busy = mi == 0 && pi == 0;
                        Poi {
                            poi_id: poi_id.to_string(),
                            name: poi_name.to_string(),
                            orders: gen_orders(&mut rng, spec, poi_id, busy, &mut book_seq),
                        }
                    })
                    .collect::<Vec<_>>();
                let spus = gen_spus(&mut rng, spec, mi);
                let users = spec
                    .users
                    .iter()
                    .enumerate()
                    .map(|(ui, open_id)| User {
                        open_id: open_id.to_string(),
                        orders: gen_voucher_orders(&mut rng, spec, &pois, mi, ui),
                    })
                    .collect();
                Merchant {
                    account_id: spec.account_id.to_string(),
                    name: spec.name.to_string(),
                    pois,
                    spus,
                    users,
                }
            })
            .collect();
        Dataset { seed, merchants }
    }
}

/// SplitMix64: small, fast and stable across versions (the dataset must not
/// change when a dependency does).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

struct MerchantSpec {
    account_id: &'static str,
    name: &'static str,
    pois: &'static [(&'static str, &'static str)],
    /// (sku id, name, price in fen)
    skus: &'static [(&'static str, &'static str, i64)],
    /// (attr_key, what kind of JSON)
    industry: Industry,
    users: &'static [&'static str],
    /// (out_spu_id, name, description)
    spus: &'static [(&'static str, &'static str, &'static str)],
}

#[derive(Clone, Copy)]
enum Industry {
    TeaHouse,
    Restaurant,
    EscapeRoom,
}

fn merchant_specs() -> [MerchantSpec; 3] {
    [
        MerchantSpec {
            account_id: sample::ACCOUNT_ID,
            name: "云栖茶室",
            pois: &[
                (sample::POI_ID, "云栖茶室(西湖店)"),
                ("7165843214867499040", "云栖茶室(滨江店)"),
            ],
            skus: &[
                ("1781352867485703", "双人下午茶套餐", 29_900),
                ("1781352867485704", "单人茶歇", 12_800),
                ("1781352867485705", "四人包间茶会", 59_900),
                ("1781352867485706", "龙井品鉴套餐", 38_800),
            ],
            industry: Industry::TeaHouse,
            users: &[
                sample::OPEN_ID,
                "5f0c8a41-2d3e-4b7a-9c11-7e5d2a9b8c01",
                "a7e3d912-64b0-4f2c-8d5e-0b1c2d3e4f50",
            ],
            spus: &[
                (sample::OUT_SPU_ID, "芝芝葡萄", "当季葡萄与芝士奶盖"),
                ("yangzhiganlu", "杨枝甘露", "芒果、西柚与椰浆"),
                ("longjingnaicha", "龙井奶茶", "明前龙井与鲜奶"),
                ("qingningmeishi", "青柠美式", "冷萃咖啡与青柠"),
            ],
        },
        MerchantSpec {
            account_id: "7241905831062292520",
            name: "江南小馆",
            pois: &[("7229011830514849827", "江南小馆(武林店)")],
            skus: &[
                ("1792004518820001", "四人家宴", 68_800),
                ("1792004518820002", "双人午市套餐", 16_800),
                ("1792004518820003", "十人包厢宴", 188_800),
            ],
            industry: Industry::Restaurant,
            users: &[
                "0d9b7c6a-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                "1e2d3c4b-5a69-4788-9a0b-c1d2e3f40516",
                "2f3e4d5c-6b7a-4899-8a1b-d2e3f4051627",
            ],
            spus: &[
                ("xihucuyu", "西湖醋鱼", "现杀草鱼,酸甜口"),
                ("dongporou", "东坡肉", "慢炖四小时"),
                ("longjingxiaren", "龙井虾仁", "河虾仁与明前龙井"),
                ("pianerchuan", "片儿川", "雪菜笋片面"),
            ],
        },
        MerchantSpec {
            account_id: "7306123889451206671",
            name: "星河密室",
            pois: &[("7310448702391435298", "星河密室(湖滨银泰店)")],
            skus: &[
                ("1803315520730001", "古堡迷踪 4-6人场", 39_600),
                ("1803315520730002", "深海回声 2-4人场", 25_600),
            ],
            industry: Industry::EscapeRoom,
            users: &[
                "3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819",
                "4b5c6d7e-8f90-41a2-b3c4-d5e6f708192a",
                "5c6d7e8f-9001-42b3-c4d5-e6f708192a3b",
            ],
            spus: &[
                ("xingheyinpin", "星河特调", "闯关后的冰饮"),
                ("baomihua", "焦糖爆米花", "大桶"),
                ("ningmengshui", "手打柠檬水", "鲜柠檬"),
                ("suanmeitang", "酸梅汤", "古法熬制"),
            ],
        },
    ]
}

const SURNAMES: &[&str] = &["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "婷", "杰", "晨", "雪", "宇",
];
const NOTES: &[&str] = &[
    "靠窗座位",
    "有老人同行",
    "需要宝宝椅",
    "生日聚会",
    "",
    "尽量安静的位置",
    "晚到十分钟",
];

fn gen_orders(
    rng: &mut Rng,
    spec: &MerchantSpec,
    poi_id: &str,
    busy: bool,
    book_seq: &mut u64,
) -> Vec<ReservationOrder> {
    let mut orders = Vec::new();
    for day in 0..DAYS {
        let day_start = sample::MONTH_START + day * DAY;
        let n = if busy {
            rng.range(100, 160)
        } else {
            rng.range(30, 90)
        };
        let (y, m, d) = civil_from_days((day_start + 8 * 3600).div_euclid(DAY));
        for _ in 0..n {
            *book_seq += 1;
            // 09:00–21:55 China time, on 5-minute steps.
            let book_time = day_start + 9 * 3600 + rng.range(0, 155) * 300;
            let count = rng.range(1, 6);
            let product_count = rng.range(1, 3) as usize;
            let products = (0..product_count)
                .map(|_| {
                    let (sku_id, name, price) = *rng.pick(spec.skus);
                    BookedProduct {
                        sku_id: Some(sku_id.into()),
                        sku_ame: Some(name.into()),
                        original_amount: Some(price.to_string()),
                    }
                })
                .collect::<Vec<_>>();
            let people = rng.range(1, 2);
            let user_infos = (0..people)
                .map(|_| BookingUserInfo {
                    name: Some(format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))),
                    phone: Some(format!(
                        "13{}****{:04}",
                        rng.range(0, 9),
                        rng.range(0, 9999)
                    )),
                    age: Some(rng.range(18, 70)),
                    sex: Some(rng.range(1, 2)),
                    marital_status: Some(rng.range(1, 2)),
                    license_type: Some(1),
                    license_number: Some(format!("3301**********{:04}", rng.range(0, 9999))),
                })
                .collect();
            let hhmm = china_hhmm(book_time);
            let mut industry_info_list = vec![IndustryInfo {
                attr_key: Some("arrival_info".into()),
                attr_key_name: Some("到店信息".into()),
                attr_value: Some(
                    serde_json::json!({"arrive_time": hhmm, "people": count}).to_string(),
                ),
            }];
            industry_info_list.push(industry_item(rng, spec.industry, count));
            orders.push(ReservationOrder {
                book_id: Some(format!("1080{y:04}{m:02}{d:02}{:07}", *book_seq)),
                status: Some(*rng.pick(&[1, 1, 1, 2, 2, 3, 3, 4])),
                book_time: Some(book_time),
                book_taking_time: Some(book_time + rng.range(0, 9) * 300),
                products,
                booking_info: Some(BookingInfo {
                    count: Some(count),
                    user_notes: Some(rng.pick(NOTES).to_string()),
                    poi_id: Some(poi_id.to_string()),
                    item_ids: (0..product_count)
                        .map(|i| {
                            format!("73286114258301{:05}", (*book_seq % 90_000) as usize * 3 + i)
                        })
                        .collect(),
                }),
                user_infos,
                industry_info_list,
            });
        }
    }
    orders.sort_by(|a, b| (a.book_time, &a.book_id).cmp(&(b.book_time, &b.book_id)));
    orders
}

fn industry_item(rng: &mut Rng, industry: Industry, count: i64) -> IndustryInfo {
    let (key, value) = match industry {
        Industry::TeaHouse => (
            "room_info",
            serde_json::json!({
                "room_type": rng.pick(&["大厅", "包间", "露台"]),
                "table_no": format!("{}{}", rng.pick(&["A", "B", "C"]), rng.range(1, 20)),
                "tea_preference": rng.pick(&["龙井", "白茶", "普洱", "花茶"]),
            }),
        ),
        Industry::Restaurant => (
            "dining_info",
            serde_json::json!({
                "table_type": if count > 4 { "包厢" } else { "散台" },
                "spicy_level": rng.range(0, 3),
                "allergens": if rng.chance(20) { vec!["花生"] } else { Vec::new() },
            }),
        ),
        Industry::EscapeRoom => (
            "session_info",
            serde_json::json!({
                "theme": rng.pick(&["古堡迷踪", "深海回声"]),
                "players": count.max(2),
                "difficulty": rng.range(1, 5),
                "npc": rng.chance(50),
            }),
        ),
    };
    IndustryInfo {
        attr_key: Some(key.into()),
        attr_key_name: Some(format!("{key} (sandbox)")),
        attr_value: Some(value.to_string()),
    }
}

fn gen_spus(rng: &mut Rng, spec: &MerchantSpec, mi: usize) -> Vec<FoodOrderSpu> {
    let account_id: i64 = spec.account_id.parse().unwrap_or_default();
    spec.spus
        .iter()
        .enumerate()
        .map(|(si, (out_id, name, desc))| {
            let cup = group(
                "cup",
                "杯型",
                "cup_type",
                0,
                &[
                    ("small_cup", "小杯"),
                    ("mid_cup", "中杯"),
                    ("big_cup", "大杯"),
                ],
            );
            let sugar = group(
                "sugar",
                "糖",
                "sugar_level",
                1,
                &[
                    ("zero", "0卡糖"),
                    ("three", "三分糖"),
                    ("five", "五分糖"),
                    ("seven", "七分糖"),
                    ("full", "全糖"),
                ],
            );
            let temperature = group(
                "temperature",
                "温度",
                "temperature",
                2,
                &[
                    ("hot", "热"),
                    ("warm", "温"),
                    ("cold", "冷"),
                    ("less_ice", "少冰"),
                ],
            );
            let mut groups = vec![cup, sugar, temperature];
            // Not every SPU has every group.
            if rng.chance(30) {
                groups.truncate(2);
            }
            FoodOrderSpu {
                account_id: Some(account_id),
                spu_id: Some(sample::SPU_ID + (mi * 100 + si) as i64),
                out_spu_id: Some(out_id.to_string()),
                spu_name: Some(name.to_string()),
                biz_line: Some(1),
                category_id: Some(1_015_003 + rng.range(0, 2)),
                description: Some(desc.to_string()),
                images: Some({
                    let head = format!(
                        "tos-cn-i-hf2m9xxmck/{:032x}",
                        rng.next_u64() as u128 * 0x1_0000_0001
                    );
                    let detail = format!("{head}-detail");
                    let image = |uri: String| ImageRef {
                        url: Some(format!("https://p3-sandbox.douyinpic.com/{uri}~noop.jpeg")),
                        uri: Some(uri),
                    };
                    SpuImages {
                        head_image: Some(image(head)),
                        description_image: Some(image(detail)),
                    }
                }),
                sale_attr_groups: groups,
            }
        })
        .collect()
}

fn group(
    code: &str,
    name: &str,
    template: &str,
    weight: i64,
    items: &[(&str, &str)],
) -> SaleAttrGroup {
    SaleAttrGroup {
        group_code: Some(code.into()),
        group_name: Some(name.into()),
        template_key: Some(template.into()),
        weight: Some(weight),
        item_list: items
            .iter()
            .enumerate()
            .map(|(i, (k, n))| SaleAttrItem {
                item_key: Some((*k).into()),
                item_name: Some((*n).into()),
                is_default: Some(i == 0),
                add_price: Some(i as i64 * 200),
                image: Some(SaleAttrImage {
                    uri: Some(format!("tos-cn-i-sandbox/{code}-{k}")),
                    url: Some(format!("https://p3-sandbox.douyinpic.com/{code}-{k}.jpeg")),
                    image_type: Some(1),
                    image_tag: Some(vec![(*n).into()]),
                }),
                desc_list: Some(vec![KeyVal {
                    key: Some("规格".into()),
                    val: Some((*n).into()),
                }]),
            })
            .collect(),
    }
}

/// The kinds of vouchers the page documents: group-buying vouchers (set meals
/// and cash vouchers) and times cards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SetMeal,
    CashVoucher,
    TimesCard,
}

fn gen_voucher_orders(
    rng: &mut Rng,
    spec: &MerchantSpec,
    pois: &[Poi],
    mi: usize,
    ui: usize,
) -> Vec<VoucherOrder> {
    // The sample user has enough vouchers for two pages of 50.
    let order_count = if mi == 0 && ui == 0 {
        34
    } else {
        rng.range(3, 8)
    };
    let base_time = sample::MONTH_START;
    (0..order_count)
        .map(|oi| {
            let kind = match oi % 3 {
                0 => Kind::SetMeal,
                1 => Kind::CashVoucher,
                _ => Kind::TimesCard,
            };
            let poi = &pois[(oi as usize) % pois.len()];
            let created = base_time + oi * DAY / 2 + rng.range(0, 40_000);
            let order_id = format!("10784523{:02}{:02}{:07}", mi, ui, oi * 7919 + 1_000_000);
            let n_certs = match kind {
                Kind::TimesCard => 1,
                _ => rng.range(1, 3),
            };
            let locked = rng.chance(15);
            let certificates = (0..n_certs)
                .map(|ci| gen_certificate(rng, spec, kind, &order_id, ci, created, locked))
                .collect::<Vec<_>>();
            VoucherOrder {
                order: CertificateOrder {
                    order_id: Some(order_id),
                    can_use: Some(!locked),
                    certificates,
                },
                poi_id: poi.poi_id.clone(),
            }
        })
        .rev()
        .collect()
}

fn gen_certificate(
    rng: &mut Rng,
    spec: &MerchantSpec,
    kind: Kind,
    order_id: &str,
    ci: i64,
    created: i64,
    locked: bool,
) -> Certificate {
    let (sku_id, sku_name, price) = *rng.pick(spec.skus);
    let (title, original, groupon_type) = match kind {
        Kind::SetMeal => (sku_name.to_string(), price, 1),
        Kind::CashVoucher => {
            let face = *rng.pick(&[5_000, 10_000, 20_000]);
            (format!("{}元代金券", face / 100), face, 2)
        }
        Kind::TimesCard => (format!("{sku_name} 5次卡"), price * 4, 3),
    };
    let platform = rng.range(0, 10) * 100;
    let merchant_discount = rng.range(0, 5) * 100;
    let pay = original - platform - merchant_discount;
    let off_peak = rng.chance(30);
    let start_time = created + 3600;
    Certificate {
        certificate_id: Some(format!(
            "749302{}{:02}",
            &order_id[order_id.len() - 9..],
            ci
        )),
        code: Some(format!("CERT{:08}", rng.range(0, 99_999_999))),
        start_time: Some(start_time),
        expire_time: Some(start_time + 90 * DAY - 1),
        is_transfer_asset: Some(rng.chance(10)),
        amount: Some(CertificateAmount {
            original_amount: Some(original),
            pay_amount: Some(pay),
            merchant_ticket_amount: Some(merchant_discount),
            payment_discount_amount: Some(0),
            coupon_pay_amount: Some(pay),
            platform_ticket_amount: Some(platform),
        }),
        sku_info: Some(CertificateSkuInfo {
            sku_id: Some(sku_id.to_string()),
            spu_id: Some(format!("{}", sku_id.parse::<i64>().unwrap_or_default() - 1)),
            title: Some(title),
            account_id: Some(spec.account_id.to_string()),
            out_id: Some(format!("out-{sku_id}")),
            third_sku_id: Some(format!("third-{sku_id}")),
            groupon_type: Some(groupon_type),
            market_price: Some(original),
            sold_start_time: Some(sample::MONTH_START - 30 * DAY),
            voucher_info: Some(VoucherInfo {
                voucher_type: Some(if kind == Kind::CashVoucher {
                    rng.range(1, 2)
                } else {
                    0
                }),
                dynamic_par_rule_struct: Some(DynamicParRule {
                    dynamic_par_rule_desc: Some(if kind == Kind::CashVoucher {
                        "工作日午市可抵扣更多".into()
                    } else {
                        "固定面额".into()
                    }),
                    dynamic_par_min_amount: Some(original),
                    dynamic_par_max_amount: Some(
                        original + if kind == Kind::CashVoucher { 2_000 } else { 0 },
                    ),
                    dynamic_par_rule_item_list: vec![DynamicParRuleItem {
                        deductible_amount: Some(original + 2_000),
                        day_of_week: vec![1, 2, 3, 4, 5],
                        time_period: Some(UseTimePeriod {
                            use_start_time: Some("11:00".into()),
                            use_end_time: Some("14:00".into()),
                            end_time_is_next_day: Some(false),
                        }),
                    }],
                }),
            }),
        }),
        off_peak_discount_detail: Some(OffPeakDiscountDetail {
            has_off_peak_discount: Some(off_peak),
            off_peak_time_limit_type: Some(if off_peak { 1 } else { 0 }),
            off_peak_time: Some(OffPeakTime {
                start_time: Some(start_time),
                end_time: Some(start_time + 90 * DAY - 1),
                week_day_list: vec![1, 2, 3, 4],
                daily_time_range_list: vec![DailyTimeRange {
                    start_time: Some("14:00".into()),
                    end_time: Some("17:00".into()),
                }],
            }),
        }),
        lock_info_extra: Some(LockInfoExtra {
            lock_scene: Some(if locked { 1 } else { 0 }),
            lock_status: Some(if locked { 1 } else { 0 }),
        }),
        times_card_info: Some(times_card(rng, kind, price, locked)),
    }
}

fn times_card(rng: &mut Rng, kind: Kind, price: i64, locked: bool) -> TimesCardInfo {
    if kind != Kind::TimesCard {
        return TimesCardInfo {
            times_card_type: Some(0),
            total_times: Some(1),
            usable_times: Some(1),
            use_amount: Some(0),
            total_times_serial_nums: vec![1],
            used_times_serial_nums: Vec::new(),
            locked_times_serial_nums: Vec::new(),
            ladder_times_card_info: Vec::new(),
        };
    }
    let used = rng.range(0, 3);
    TimesCardInfo {
        times_card_type: Some(rng.range(1, 2)),
        total_times: Some(5),
        usable_times: Some(5 - used),
        use_amount: Some(used * price * 4 / 5),
        total_times_serial_nums: (1..=5).collect(),
        used_times_serial_nums: (1..=used).collect(),
        // A locked card has its next use locked.
        locked_times_serial_nums: if locked { vec![used + 1] } else { Vec::new() },
        ladder_times_card_info: (1..=5)
            .map(|seq| LadderTimesCard {
                seq: Some(seq),
                status: Some(if seq <= used { 2 } else { 1 }),
                original_amount: Some(price),
                pay_amount: Some(price * 4 / 5),
                merchant_ticket: Some(price / 10),
                ticket: Some(price / 10),
                crossed_amount: Some(price + price / 5),
            })
            .collect(),
    }
}

/// `HH:MM` of a unix time in China time (UTC+8).
fn china_hhmm(unix: i64) -> String {
    let secs = (unix + 8 * 3600).rem_euclid(DAY);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(1732896000 / DAY), (2024, 11, 29));
        assert_eq!(
            civil_from_days((1732896000 + 8 * 3600) / DAY),
            (2024, 11, 30)
        );
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = Dataset::generate(7);
        let b = Dataset::generate(7);
        let c = Dataset::generate(8);
        let first =
            |d: &Dataset| serde_json::to_string(&d.merchants[0].pois[0].orders[..5]).unwrap();
        assert_eq!(first(&a), first(&b));
        assert_ne!(first(&a), first(&c));
        assert_eq!(a.order_count(), b.order_count());
    }
}
