// The failure converter of processes that encrypt payloads (DEPLOYER_PAYLOAD_KEYS): a failure's
// message and stack move into an encoded payload, so the payload codec encrypts them too; an
// activity's error can quote an image ref or a template line. Temporal loads this file by path,
// both in the worker and inside the workflow bundle, hence CommonJS and no TypeScript.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
