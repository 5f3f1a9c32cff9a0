import { EC2_18, EC2_2, EC2_6 } from "./controls/ec2";
import { ECR_1, ECR_2, ECR_3 } from "./controls/ecr";
import { ECS_1, ECS_10, ECS_12, ECS_2, ECS_3, ECS_4, ECS_5, ECS_8, ECS_9 } from "./controls/ecs";
import { ELB_1, ELB_12, ELB_13, ELB_17, ELB_4, ELB_5, ELB_6 } from "./controls/elb";
import { IAM_1, IAM_21 } from "./controls/iam";
import { KMS_4, SNS_1 } from "./controls/kms-sns";
import { S3_12, S3_13, S3_5, S3_6, S3_8 } from "./controls/s3";
import { Control } from "./lib/control";

/** Every control of the pack, one policy each, in the order Security Hub lists them. */
export const CONTROLS: Control[] = [
    EC2_2,
    EC2_6,
    EC2_18,
    ECR_1,
    ECR_2,
    ECR_3,
    ECS_1,
    ECS_2,
    ECS_3,
    ECS_4,
    ECS_5,
    ECS_8,
    ECS_9,
    ECS_10,
    ECS_12,
    ELB_1,
    ELB_4,
    ELB_5,
    ELB_6,
    ELB_12,
    ELB_13,
    ELB_17,
    IAM_1,
    IAM_21,
    KMS_4,
    S3_5,
    S3_6,
    S3_8,
    S3_12,
    S3_13,
    SNS_1,
];
