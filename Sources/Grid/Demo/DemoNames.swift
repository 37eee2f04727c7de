import Foundation
import Geo

/// Plausible Chinese place and person names for the demo county, made from common characters.
/// (Invented: the real county's towns and people are not in the demo.)
struct DemoNames {
    private static let placeFirst = Array("清石龙凤新贵望宝丰中鲜岩东临汇天拱义静合琅万柏大青安土三李有卷涌白金双复定兴太平和")
    private static let placeSecond = Array("溪河桥滩坝山口坪场湾林乐兴丰和寺庙岭沟堰垭坡塘园")
    private static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程")
    private static let given = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国文林春梅海波辉鹏飞燕琴")

    var rng: SeededRandom
    private var used = Set<String>()

    init(rng: SeededRandom) { self.rng = rng }

    private mutating func pick(_ chars: [Character]) -> Character { chars[Int(rng.next() % UInt64(chars.count))] }

    /// A place name not used before in this county, with `suffix` (镇, 乡, 村, 社区).
    mutating func place(_ suffix: String) -> String {
        while true {
            let name = "\(pick(Self.placeFirst))\(pick(Self.placeSecond))\(suffix)"
            if used.insert(name).inserted { return name }
        }
    }

    mutating func person() -> String {
        var n = "\(pick(Self.surnames))\(pick(Self.given))"
        if rng.next() % 3 != 0 { n.append(pick(Self.given)) }
        return n
    }

    /// A mobile number of the demo range (all invented).
    mutating func phone() -> String {
        "1" + ["3", "5", "8", "9"][Int(rng.next() % 4)] + String(format: "%09d", Int(rng.next() % 1_000_000_000))
    }
}
