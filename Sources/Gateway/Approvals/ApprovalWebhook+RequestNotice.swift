extension ApprovalWebhook {
    /// The judge's `approvalRequested` hook: `ToolCallJudge` calls it once per newly created
    /// request (`pending.isNew`), and it queues the webhook notice for the caller's account.
    func requested(_ request: ApprovalRequestNotice) {
        guard let account = request.account else { return }
        requested(ApprovalWebhookNotice(pending: request.pending, key: request.key, caller: request.caller, rule: request.rule), account: account)
    }
}
