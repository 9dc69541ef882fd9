//! The AWS adapters (feature `aws`): the only code that names AWS SDK types. The collector
//! reads EC2 into a snapshot through the EC2 seam (`ec2::Ec2Api`, implemented by the SDK
//! client here and by `testing::ec2::FakeEc2` in tests); the publishers implement the decision
//! layer's traits on DynamoDB and SNS; SSM and Lambda runtime helpers.

pub mod collect;
pub mod ec2;
pub mod publish;
