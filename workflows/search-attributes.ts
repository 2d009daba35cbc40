// Typed search attributes, registered on the server at start (scripts/stack/temporal.ts), so the
// Temporal UI can filter deployments by project, environment, image and status.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DeployProject = defineSearchAttributeKey('DeployProject', SearchAttributeType.KEYWORD);
export const DeployEnvironment = defineSearchAttributeKey('DeployEnvironment', SearchAttributeType.KEYWORD);
export const DeployImage = defineSearchAttributeKey('DeployImage', SearchAttributeType.KEYWORD);
export const DeployStatus = defineSearchAttributeKey('DeployStatus', SearchAttributeType.KEYWORD);
