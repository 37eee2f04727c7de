import Foundation

/// The demo county centre's committees and departments: the eight professional mediation
/// committees the issue names and 23 departments' windows, as a county's 综治中心 typically hosts
/// them (the kinds and names are those such centres publish, not one county's own list). No
/// routing rules: a centre sets those itself (`wangge units import`).
public enum DemoUnits {
    public static let committees: [(String, String, [Case.Category])] = [
        ("property", "物业纠纷人民调解委员会", [.property]),
        ("family", "婚姻家庭纠纷人民调解委员会", [.family]),
        ("labour", "劳动争议人民调解委员会", [.labour]),
        ("commercial", "商事纠纷人民调解委员会", [.debt, .consumer]),
        ("traffic", "道路交通事故纠纷人民调解委员会", [.traffic]),
        ("medical", "医疗纠纷人民调解委员会", [.other]),
        ("consumer", "消费纠纷人民调解委员会", [.consumer]),
        ("land", "土地纠纷人民调解委员会", [.land]),
    ]
    public static let departments: [(String, String, [Case.Category])] = [
        ("hrss", "人力资源和社会保障局", [.labour]),
        ("union", "总工会", [.labour]),
        ("housing", "住房和城乡建设局", [.property]),
        ("enforcement", "综合行政执法局", [.property, .neighbour]),
        ("natural-resources", "自然资源和规划局", [.land]),
        ("agriculture", "农业农村局", [.land]),
        ("forestry", "林业局", [.land]),
        ("water", "水利局", [.land, .other]),
        ("market", "市场监督管理局", [.consumer]),
        ("economy", "经济和信息化局", [.debt, .consumer]),
        ("finance", "财政局", [.debt]),
        ("police", "公安局", [.neighbour, .traffic, .other]),
        ("transport", "交通运输局", [.traffic]),
        ("justice", "司法局", [.neighbour, .family, .debt, .other]),
        ("civil-affairs", "民政局", [.family]),
        ("women", "妇女联合会", [.family]),
        ("health", "卫生健康局", [.other]),
        ("medical-insurance", "医疗保障局", [.other]),
        ("education", "教育局", [.other]),
        ("environment", "生态环境局", [.neighbour, .other]),
        ("emergency", "应急管理局", [.other]),
        ("veterans", "退役军人事务局", [.other]),
        ("petitions", "信访局", [.other]),
    ]

    /// A county's units, named after it (`county`: its code; `name`: e.g. 渠县).
    public static func units(county: String, name: String) -> [HandlingUnit] {
        committees.map { HandlingUnit(kind: .committee, area: county, key: $0.0, name: name + $0.1, categories: $0.2) }
            + departments.map { HandlingUnit(kind: .department, area: county, key: $0.0, name: name + $0.1, categories: $0.2) }
    }
}
