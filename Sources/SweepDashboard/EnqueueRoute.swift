import Cluster
import Foundation
import Hummingbird
import JSONValue
import Search
import Store
import SweepFile
import SweepSupport

/// `POST /api/studies/NAME/enqueue`: a trial with chosen parameters, queued for the
/// coordinator (``StoreTransaction/enqueueTrial(study:given:source:at:)``), with the token.
///
/// The body is `{"params": {"x": 0.5, "optimizer": "adam"}}` (numbers may also be given as
/// text, as a form sends them). Answers: 201 with the queue id and the values as stored;
/// 400 `{"error", "field"}` for a bad body or value (nothing queued); 401/403 without the
/// token; 404 for an unknown study.
extension DashboardServer {
    /// The largest body an enqueue takes (a trial's parameters are a few hundred bytes).
    static let maxBodyBytes = 1 << 16

    struct EnqueueBody {
        var params: Params
    }

    struct EnqueueAnswer: Encodable {
        var queued: Int64, study: String, params: Params, note: String
    }

    struct FieldError: Encodable {
        var error: String, field: String?
    }

    private enum Outcome: Sendable {
        case queued(EnqueueAnswer)
        case invalid(GivenParamError)
        case noStudy
        /// The study takes no queued trials (``SweepDefinition/enqueueProblem(_:)``).
        case refused(String)
    }

    func enqueue(_ request: Request, study: String) async throws -> Response {
        if let refusal = authorize(request) { return refusal }
        // A body over the bound is refused as soon as its length is declared (a client that
        // announced 100 GB was waited for) or, undeclared, once that much arrived.
        let tooLarge = { Response(status: .contentTooLarge, headers: Self.headers("application/json"), body: .init(byteBuffer: ByteBuffer(
            bytes: (try? StudyFeed.encode(FieldError(error: "the body is over \(Self.maxBodyBytes >> 10) KiB: send {\"params\": {...}} only", field: nil))) ?? Data()))) }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > Self.maxBodyBytes { return tooLarge() }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maxBodyBytes) } catch let error as HTTPError where error.status == .contentTooLarge { return tooLarge() }
        // Sweep's own parser: Foundation's decoder read the choice 1.0 as the integer 1.
        guard let object = try? JSONParser().parse(String(decoding: body.readableBytesView, as: UTF8.self)),
              let members = object["params"]?.members else {
            return try Self.fieldError(GivenParamError(field: "params", message: #"the body must be JSON like {"params": {"x": 0.5, "optimizer": "adam"}}"#))
        }
        var params: Params = [:]
        for (name, value) in members { params[name] = ParamValue(json: value) }
        let given = EnqueueBody(params: params)
        let outcome = try await Self.offload { [feed] () throws -> Outcome in
            try feed.write { tx -> Outcome in
                guard let s = try tx.queries.study(named: study) else { return .noStudy }
                if let problem = try SweepDefinition.enqueueProblem(s) { return .refused(problem) }
                do {
                    let q = try tx.enqueueTrial(study: s, given: given.params, source: "dashboard", at: Date().timeIntervalSince1970)
                    let note = s.state == .finished ? "the study has finished: `\(ShellCommand.resume(study, database: feed.databasePath))` runs it"
                                                    : "the coordinator runs it next (on top of the budget)"
                    return .queued(EnqueueAnswer(queued: q.id, study: study, params: q.params, note: note))
                } catch let e as GivenParamError {
                    return .invalid(e)
                }
            }
        }
        switch outcome {
        case .noStudy:
            return Self.notFound("no study named \(study)")
        case .refused(let problem):
            return Response(status: .conflict, headers: Self.headers("application/json"),
                            body: .init(byteBuffer: ByteBuffer(bytes: try StudyFeed.encode(FieldError(error: problem, field: nil)))))
        case .invalid(let e):
            return try Self.fieldError(e)
        case .queued(let answer):
            feed.invalidate()
            return Response(status: .created, headers: Self.headers("application/json"),
                            body: .init(byteBuffer: ByteBuffer(bytes: try StudyFeed.encode(answer))))
        }
    }

    static func fieldError(_ e: GivenParamError) throws -> Response {
        Response(status: .badRequest, headers: headers("application/json"),
                 body: .init(byteBuffer: ByteBuffer(bytes: try StudyFeed.encode(FieldError(error: e.description, field: e.field)))))
    }
}
