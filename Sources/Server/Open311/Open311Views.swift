import Cases
import Foundation
import Geo

/// The shapes of Open311 GeoReport v2, with the spec's member names, written once for JSON and
/// XML (`Open311Format`).

/// A service: one category of dispute.
struct Open311Service: Encodable, Sendable {
    var service_code: String
    var service_name: String
    var description: String
    /// No extra attributes to fill in: a report is a category, a place and what happened.
    var metadata = false
    var type = "realtime"
    var keywords: String
    var group = "矛盾纠纷"

    init(_ c: Case.Category) {
        service_code = c.rawValue
        service_name = c.name
        description = "\(c.name) (\(c.rawValue)): placed by location on the grid worker, committee or centre that handles it"
        keywords = [c.rawValue, c.name].joined(separator: ",")
    }
}

/// `services/{code}`: a service's attributes (none here; the spec's shape all the same).
struct Open311ServiceDefinition: Encodable, Sendable {
    struct Attribute: Encodable, Sendable {}
    var service_code: String
    var attributes: [Attribute] = []
}

/// A service request as anyone may read it: no parties, no free text (the description and notes
/// stay with those who handle the case), and the place to 0.001° (about 100 m), which shows the
/// village and street without pointing at a house.
struct Open311Request: Encodable, Sendable {
    var service_request_id: String
    var status: String
    /// Where the case stands, in the tracking page's words.
    var status_notes: String
    var service_name: String
    var service_code: String
    var agency_responsible: String
    var requested_datetime: String
    var updated_datetime: String
    var expected_datetime: String?
    var address: String?
    var address_id: String?
    var lat: Double
    var long: Double

    init(_ c: Case, _ names: UnitNames) {
        service_request_id = String(c.id)
        status = c.status.isOpen ? "open" : "closed"
        status_notes = c.status.name
        service_name = c.category.name
        service_code = c.category.rawValue
        agency_responsible = names.name(c.unit)
        requested_datetime = ChinaTime.text(c.reportedAt)
        updated_datetime = ChinaTime.text([c.reportedAt, c.acceptedAt, c.resolvedAt, c.closedAt].compactMap { $0 }.max() ?? c.reportedAt)
        expected_datetime = c.status.isOpen ? c.dueAt.map(ChinaTime.text) : nil
        // The town and village: the grid's code says which, its name is the unit's.
        address = c.gridCode.map { g in [names[code: String(g.prefix(9))], names[code: String(g.prefix(12))]].compactMap { $0 }.joined(separator: " ") }
        address_id = c.householdID.map(String.init)
        lat = (c.position.lat * 1000).rounded() / 1000
        long = (c.position.lon * 1000).rounded() / 1000
    }
}

/// The answer to a POST: the request's id, and its tracking code as the spec's `token`.
struct Open311Receipt: Encodable, Sendable {
    var service_request_id: String
    var token: String
    var service_notice: String
    var account_id: String?
}

/// `tokens/{token}`: the request a token became.
struct Open311Token: Encodable, Sendable {
    var service_request_id: String
    var token: String
}

/// One entry of the spec's error list.
struct Open311Error: Encodable, Sendable {
    var code: Int
    var description: String
}

/// The service discovery document (`/open311/discovery.json`).
struct Open311Discovery: Encodable, Sendable {
    struct Endpoint: Encodable, Sendable {
        var specification = "http://wiki.open311.org/GeoReport_v2"
        var url: String
        var changeset: String
        var type = "production"
        var formats = ["text/xml", "application/json"]
    }
    var changeset: String
    var contact: String
    var key_service: String
    var endpoints: [Endpoint]
}
